"""A synthetic news archive for benchmarks: realistic lengths, a Zipf-like vocabulary,
recurring topics with named titles, and cross-links from newer to older articles."""

from __future__ import annotations

import itertools
import json
import random
from collections.abc import Iterator

SYLLABLES = ["har", "bor", "tide", "wa", "ter", "mill", "creek", "port", "land", "ston", "ver", "del", "mar",
             "ca", "rin", "lo", "ben", "tor", "vi", "sa", "ne", "qu", "el", "fi", "ra", "go", "shi", "pa"]
COMMON = ["the", "of", "and", "to", "in", "a", "that", "for", "on", "is", "said", "with", "was", "as", "by", "at", "it", "from", "be", "has", "have", "are", "will", "city", "council", "officials", "new", "year", "people", "state", "plan", "week", "county", "school", "police", "water", "budget", "vote", "public"]
SECTIONS = ["city", "business", "transport", "environment", "culture", "sports", "schools", "health"]


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))


def generate(n: int, seed: int = 7, base: str = "https://synthetic-ledger.example") -> Iterator[dict]:
    rng = random.Random(seed)
    vocab = [_word(rng) for _ in range(20000)]
    weights = [1 / (k + 1) for k in range(len(vocab))]
    cum = list(itertools.accumulate(weights))
    cum_titles = cum[:3000]
    topics = [[_word(rng).capitalize() for _ in range(rng.randint(2, 4))] for _ in range(max(50, n // 40))]
    published: list[tuple[str, str]] = []
    for i in range(n):
        topic = rng.choice(topics)
        year = 2005 + i * 20 // max(1, n)
        date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        title = " ".join(topic) + " " + " ".join(rng.choices(vocab[:3000], cum_weights=cum_titles,
                                                             k=rng.randint(2, 5)))
        slug = "-".join(title.lower().split())[:80]
        url = f"{base}/{year}/{slug}-{i}/"
        paragraphs = []
        for _ in range(rng.randint(4, 12)):
            length = rng.randint(40, 90)
            rare = rng.choices(vocab, cum_weights=cum, k=length)
            words = [rng.choice(COMMON) if rng.random() < 0.45 else rare[k] for k in range(length)]
            if published and rng.random() < 0.35:
                target_title, target_url = rng.choice(published[-2000:])
                anchor = " ".join(target_title.split()[: rng.randint(2, 4)])
                words.insert(rng.randint(0, len(words)), f"[{anchor}]({target_url})")
            if rng.random() < 0.2:
                words.append(f"[source](https://outside{rng.randint(1, 50)}.example/{_word(rng)})")
            paragraphs.append(" ".join(words).capitalize() + ".")
        published.append((title, url))
        yield {"id": f"s{i}", "url": url, "title": title, "published": date, "section": rng.choice(SECTIONS),
               "tags": [" ".join(topic).lower()], "authors": [f"{_word(rng).capitalize()} {_word(rng).capitalize()}"],
               "format": "markdown", "body": "\n\n".join(paragraphs)}


def write(path: str, n: int, seed: int = 7) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for rec in generate(n, seed):
            fh.write(json.dumps(rec) + "\n")
