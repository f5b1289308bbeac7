// The editor's page: one draft at a time through the HTTP API. Offsets come from the API as
// indexes into the draft exactly as sent; JavaScript strings count UTF-16 units where Python
// counts code points, so they are converted before slicing.
"use strict";

const $ = (id) => document.getElementById(id);
let last = null;  // {record, threshold, result} of the latest /suggest: what the editor reviews
const RELATED = 3;  // how many related stories the page lists

function record() {
  const r = { body: $("draft").value, format: $("format").value };
  if ($("published").value) r.published = $("published").value;
  // the story, by its address or its id in the CMS: what its declined links are remembered by
  const story = $("story").value.trim();
  if (/^https?:\/\//i.test(story)) r.url = story;
  else if (story) r.id = story;
  return r;
}

function query(threshold, extra) {
  const q = new URLSearchParams();
  if (threshold !== "") q.set("threshold", threshold);
  for (const [k, v] of extra || []) q.append(k, v);
  const s = q.toString();
  return s ? "?" + s : "";
}

// a server started with an access token answers 401 until the page sends it: asked for once a tab
async function call(path, body, asked) {
  const headers = { "content-type": "application/json" };
  const token = sessionStorage.getItem("linkdesk-token");
  if (token) headers.authorization = "Bearer " + token;
  const resp = await fetch(path, {
    method: body === undefined ? "GET" : "POST",
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (resp.status === 401 && !asked) {
    const given = window.prompt("This linkdesk needs its access token:");
    if (given) {
      sessionStorage.setItem("linkdesk-token", given.trim());
      return call(path, body, true);
    }
  }
  const data = await resp.json();
  if (!resp.ok) throw new Error((data.error && data.error.message) || resp.statusText);
  return data;
}

// an error under the draft, or under the part of the page that asked (where: its element id)
function showError(err, where = "error") {
  $(where).textContent = err ? String(err.message || err) : "";
  $(where).hidden = !err;
}

// Python str offsets (code points) to JavaScript string offsets (UTF-16 units)
function unitOffset(text, points) {
  let units = 0;
  for (let p = 0; p < points && units < text.length; p++) {
    units += text.codePointAt(units) > 0xffff ? 2 : 1;
  }
  return units;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

// an archive story or a source, opened beside the page
function storyLink(url, title) {
  return el("a", { href: url, target: "_blank", rel: "noopener" }, title || url);
}

function renderPreview(body, suggestions) {
  const pre = $("preview");
  pre.replaceChildren();
  let at = 0;
  suggestions.forEach((s, i) => {
    const start = unitOffset(body, s.start), end = unitOffset(body, s.end);
    if (start < at) return;
    pre.append(body.slice(at, start));
    pre.append(el("mark", { id: "mark-" + i, title: s.target_title }, body.slice(start, end)));
    at = end;
  });
  pre.append(body.slice(at));
}

function renderResult(body, result) {
  const list = $("suggestions");
  list.replaceChildren();
  result.suggestions.forEach((s, i) => {
    const box = el("input", { type: "checkbox", id: "keep-" + i, "data-index": String(i) });
    box.checked = true;
    box.addEventListener("change", () => {
      const mark = $("mark-" + i);
      if (mark) mark.classList.toggle("off", !box.checked);
    });
    const target = storyLink(s.target_url, s.target_title);
    const label = el("label", { for: "keep-" + i },
      el("span", { class: "kind " + s.kind }, s.kind), " “" + s.anchor + "” → ", target,
      " ", el("span", { class: "score" }, s.score.toFixed(2)));
    list.append(el("li", {}, box, " ", label, el("div", { class: "reasons" }, (s.reasons || []).join(" · "))));
  });
  if (!result.suggestions.length) list.append(el("li", {}, "no suggestions at this threshold"));

  const notes = $("notes");
  notes.replaceChildren();
  for (const n of result.placeholders) {
    const what = n.resolved ? "resolved: “" + n.resolved.anchor + "” → " + n.resolved.target_title
      : n.gap ? "content gap: " + n.gap.working_title : "unresolved";
    notes.append(el("li", {}, n.kind + " note: " + n.text.slice(0, 120) + " — " + what));
  }
  if (!result.placeholders.length) notes.append(el("li", {}, "none"));

  const findings = $("findings");
  findings.replaceChildren();
  for (const f of result.findings) {
    findings.append(el("li", { class: "severity-" + f.severity }, f.severity + ": " + f.message + " [" + f.rule + "]"));
  }
  if (!result.findings.length) findings.append(el("li", {}, "clean"));

  const related = $("related");
  related.replaceChildren();
  for (const r of result.related || []) {
    const story = storyLink(r.url, r.title);
    related.append(el("li", {}, story, " ", el("span", { class: "score" }, r.score.toFixed(2)),
      el("div", { class: "reasons" }, [r.published || "undated", ...(r.reasons || [])].join(" · "))));
  }
  if (!(result.related || []).length) related.append(el("li", {}, "none close enough"));

  renderPreview(body, result.suggestions);
  $("results").hidden = false;
}

async function suggest() {
  showError(null);
  $("linked").hidden = true;
  $("suggest").disabled = true;
  try {
    const r = record();
    const threshold = $("threshold").value;
    const result = await call("/suggest" + query(threshold, [["related", RELATED]]), r);
    last = { record: r, threshold: threshold, result: result };
    renderResult(r.body, result);
  } catch (err) {
    showError(err);
  } finally {
    $("suggest").disabled = false;
  }
}

async function apply() {
  if (!last) return;
  showError(null);
  const boxes = [...document.querySelectorAll("#suggestions input[type=checkbox]")];
  const pick = (checked) => boxes.filter((b) => b.checked === checked)
    .map((b) => last.result.suggestions[Number(b.dataset.index)]);
  // the draft as it is now: the editor may have gone on writing since the suggestions, and the
  // server checks every kept link against it (an edit that moved one is an error, never lost text)
  const current = record();
  try {
    // exactly what the editor saw and kept: a new index on the server since then changes nothing
    const data = await call("/apply/reviewed", { draft: current, suggestions: pick(true),
                                                 placeholders: last.result.placeholders });
    $("output").value = data.body;
    $("linked").hidden = false;
    // once the links are in: a failed insert leaves nothing declined
    const story = current.url || current.id;
    const dropped = pick(false);
    $("declined").hidden = !(story && dropped.length);
    if (story && dropped.length) {
      for (const s of dropped) {
        await call("/decline", { source: story, target_url: s.target_url, anchor: s.anchor,
                                 reason: "left unchecked on the editors' page" });
      }
      $("declined").textContent = dropped.length + " link(s) left unchecked are remembered for " + story +
        " and will not be suggested for it again";
    }
  } catch (err) {
    showError(err);
  }
}

async function inbound() {
  const url = $("inbound-url").value.trim();
  showError(null, "inbound-error");
  $("inbound-summary").hidden = true;
  $("inbound-links").replaceChildren();
  if (!url) return;
  $("inbound").disabled = true;
  try {
    const data = await call("/inbound" + query($("inbound-threshold").value, [["url", url]]));
    for (const link of data.links) {
      $("inbound-links").append(el("li", {}, storyLink(link.source_url, link.source_title), " — link “" + link.anchor + "” ",
        el("span", { class: "score" }, link.score.toFixed(2)),
        el("div", { class: "reasons" }, [link.source_published || "undated", ...(link.reasons || [])].join(" · "))));
    }
    let summary = data.links.length + " of " + data.articles_searched + " stories that use its words at or above " +
      data.threshold.toFixed(2);
    if (data.below_threshold) {
      summary += "; " + data.below_threshold + " more under it (best " + data.best_below_threshold.toFixed(2) + ")";
    }
    $("inbound-summary").textContent = summary;
    $("inbound-summary").hidden = false;
  } catch (err) {
    showError(err, "inbound-error");
  } finally {
    $("inbound").disabled = false;
  }
}

const ORPHANS = 10;  // how many of the newest orphans the page lists

async function orphanList() {
  showError(null, "inbound-error");
  const list = $("orphan-list");
  list.replaceChildren();
  try {
    const found = await call("/orphans" + query("", [["limit", ORPHANS]]));
    for (const o of found) {
      const ask = el("button", { type: "button", class: "ask" }, "find places");
      ask.addEventListener("click", () => {
        $("inbound-url").value = o.url;
        inbound();
      });
      list.append(el("li", {}, storyLink(o.url, o.title), " ",
        el("span", { class: "meta" }, [o.published || "undated", o.section || "no section"].join(" · ")), " ", ask));
    }
    if (!found.length) list.append(el("li", {}, "none: every story is linked from another"));
  } catch (err) {
    showError(err, "inbound-error");
  }
}

async function status() {
  try {
    const h = await call("/health");
    // articles ingested since the index are not suggested yet: an editor missing this morning's story sees why
    const behind = h.notices.filter((n) => n.rule === "stale-index").map((n) => " · " + n.message);
    $("status").textContent = h.articles + " articles · ranker " + h.ranker + " · threshold " + h.threshold.toFixed(2) +
      behind.join("");
  } catch (err) {
    $("status").textContent = "the archive could not be read: " + err.message;
  }
}

$("suggest").addEventListener("click", suggest);
$("apply").addEventListener("click", apply);
$("inbound").addEventListener("click", inbound);
$("orphans").addEventListener("click", orphanList);
$("copy").addEventListener("click", () => navigator.clipboard && navigator.clipboard.writeText($("output").value));
status();
