"""Writes src/linkdesk/data/demo/archive.jsonl: the demo archive of the Harbor Ledger, an
imagined city news site. Articles are written here by hand; [[slug|anchor]] marks a link to
another demo article, which becomes an absolute Markdown link."""

import json
import re
from pathlib import Path

BASE = "https://harborledger.example"

# slug, date, section, tags, author, title, body
ARTICLES = [
    ("ferry-fare-freeze", "2022-02-03", "transport", ["ferries", "fares"], "Mara Quint",
     "Harbor ferry fares frozen for another year",
     "The Port Authority voted to keep Harbor Ferry fares at $2.75 through 2023. Commissioners said ridership "
     "has not recovered to its 2019 level. Commuters on the Eastbank route welcomed the decision."),
    ("eastbank-ferry-terminal", "2022-04-11", "transport", ["ferries", "eastbank"], "Mara Quint",
     "Eastbank ferry terminal to close for six months of repairs",
     "The Eastbank ferry terminal will close in June for pier repairs. Riders will use a shuttle to the "
     "Central Wharf. The closure follows the [[ferry-fare-freeze|fare freeze]] approved in February."),
    ("tidewater-bridge-study", "2022-05-20", "transport", ["tidewater bridge", "traffic"], "Tomas Reyes",
     "Tidewater Bridge study finds deck needs replacing by 2030",
     "An engineering study of the Tidewater Bridge found corrosion in the deck beams. The city must replace "
     "the deck by 2030 or lower the weight limit. The report is on the "
     "[city engineering portal](https://engineering.harborcity.example/tidewater-report)."),
    ("bike-lane-pilot", "2022-06-14", "transport", ["cycling", "harbor road"], "Tomas Reyes",
     "Harbor Road protected bike lane pilot begins",
     "A protected bike lane opened on Harbor Road between Mill Street and the Central Wharf. The pilot runs "
     "for one year. Shop owners worry about lost parking; cyclists say the road was dangerous."),
    ("bike-lane-first-month", "2022-07-19", "transport", ["cycling", "harbor road"], "Tomas Reyes",
     "Bike counts double in first month of Harbor Road pilot",
     "Counters on the [[bike-lane-pilot|Harbor Road protected bike lane]] recorded twice as many cyclists in "
     "July as before the pilot. Parking complaints fell after the city added loading zones."),
    ("council-budget-2022", "2022-06-28", "city", ["city council", "budget"], "Lena Okafor",
     "City council passes $412 million budget",
     "The City Council passed a $412 million budget for the coming fiscal year. It funds 30 new firefighters "
     "and the [[tidewater-bridge-study|Tidewater Bridge]] design work. Two members voted against it."),
    ("mayor-alvarez-housing-plan", "2022-09-08", "city", ["housing", "mayor alvarez"], "Lena Okafor",
     "Mayor Alvarez unveils plan for 2,000 affordable homes",
     "Mayor Rosa Alvarez announced a plan to build 2,000 affordable homes over eight years on city-owned "
     "land. The plan depends on a housing bond that voters will decide in November."),
    ("housing-bond-vote", "2022-11-09", "city", ["housing", "elections"], "Lena Okafor",
     "Voters approve $150 million housing bond",
     "Voters approved the $150 million housing bond with 61 percent of the vote. The money will pay for the "
     "first phase of [[mayor-alvarez-housing-plan|Mayor Alvarez's affordable housing plan]]."),
    ("gull-island-cleanup", "2022-08-02", "environment", ["gull island", "volunteers"], "Priya Sand",
     "Volunteers haul two tons of trash off Gull Island",
     "More than 300 volunteers spent Saturday clearing Gull Island. They removed two tons of trash, most of "
     "it plastic foam from old fishing floats."),
    ("harbor-water-quality-2022", "2022-09-22", "environment", ["water quality", "harbor"], "Priya Sand",
     "Harbor water quality improves for third straight year",
     "Bacteria counts in the harbor fell for the third year in a row, according to the state environment "
     "agency. Swimming advisories at Sandy Cove dropped from 19 days to 7. The "
     "[state report](https://environment.state.example/harbor-2022) credits new storm drains."),
    ("sandy-cove-swimming", "2023-06-01", "environment", ["sandy cove", "water quality"], "Priya Sand",
     "Sandy Cove opens for swimming with new daily water tests",
     "Sandy Cove beach opened for the season with daily water testing. Results are posted at the lifeguard "
     "stand by 9 a.m. Last year's [[harbor-water-quality-2022|improving harbor water quality]] made the "
     "daily program possible."),
    ("storm-drain-upgrade", "2023-03-15", "environment", ["storm drains", "flooding"], "Priya Sand",
     "City finishes $38 million storm drain upgrade",
     "Crews finished the storm drain upgrade under the Old Town streets. The new drains separate rainwater "
     "from sewage, which kept overflows out of the harbor. Officials said it also reduces flooding."),
    ("old-town-flooding", "2023-10-30", "city", ["flooding", "old town"], "Lena Okafor",
     "King tide floods Old Town streets despite new drains",
     "A king tide pushed seawater into four Old Town streets on Sunday. The [[storm-drain-upgrade|storm drain "
     "upgrade]] handled the rain, engineers said, but not water coming over the seawall."),
    ("seawall-plan", "2024-02-12", "city", ["seawall", "flooding", "climate"], "Lena Okafor",
     "Council backs $90 million seawall for Old Town",
     "The council endorsed a $90 million seawall along the Old Town waterfront after the "
     "[[old-town-flooding|October king tide flooding]]. Federal grants could pay for half of it."),
    ("shipyard-layoffs", "2022-10-05", "business", ["shipyard", "jobs"], "Dev Malik",
     "Northgate Shipyard lays off 140 workers",
     "Northgate Shipyard will lay off 140 workers after losing a Navy repair contract. The union said it "
     "will ask the state for retraining money."),
    ("shipyard-contract-won", "2023-05-17", "business", ["shipyard", "jobs"], "Dev Malik",
     "Northgate Shipyard wins ferry building contract, rehires workers",
     "Northgate Shipyard won a contract to build two electric ferries for the Port Authority. The yard will "
     "rehire most of the workers it let go in the [[shipyard-layoffs|shipyard layoffs]] last year."),
    ("electric-ferries-ordered", "2023-05-10", "transport", ["ferries", "electric ferries", "climate"],
     "Mara Quint", "Port Authority orders two electric ferries",
     "The Port Authority ordered two battery-electric ferries for the Eastbank route. Each will carry 300 "
     "passengers and charge at the Central Wharf. Delivery is expected in 2025."),
    ("electric-ferry-launch", "2025-04-22", "transport", ["ferries", "electric ferries"], "Mara Quint",
     "First electric ferry enters service on Eastbank route",
     "The first of two [[electric-ferries-ordered|electric ferries]], built at "
     "[[shipyard-contract-won|Northgate Shipyard]], carried its first passengers on Tuesday. The ferry is "
     "quieter and cuts fuel costs, the Port Authority said."),
    ("fish-market-reopens", "2022-12-01", "business", ["fish market", "waterfront"], "Dev Malik",
     "Waterfront fish market reopens after fire",
     "The Pier 4 fish market reopened eight months after an electrical fire. Six of the nine stalls are "
     "back. The building now has sprinklers."),
    ("cannery-hotel-approved", "2023-07-25", "business", ["cannery", "hotel", "waterfront"], "Dev Malik",
     "Planning board approves hotel in old cannery",
     "The planning board approved a 120-room hotel in the old Harbor Cannery building. Neighbors asked for "
     "public access to the pier, and the developer agreed to a waterfront walkway."),
    ("cannery-hotel-opens", "2025-03-03", "business", ["cannery", "hotel"], "Dev Malik",
     "Cannery Hotel opens with public waterfront walkway",
     "The Cannery Hotel opened on Monday. The [[cannery-hotel-approved|hotel in the old cannery]] includes "
     "the public waterfront walkway promised to neighbors."),
    ("lighthouse-museum", "2022-05-02", "culture", ["lighthouse", "museum"], "Ines Ward",
     "Point Reyes Lighthouse museum reopens after restoration",
     "The lighthouse museum at Gull Point reopened after a two-year restoration of its lens. Admission is "
     "free on the first Sunday of each month."),
    ("harbor-jazz-festival-2022", "2022-08-20", "culture", ["harbor jazz festival", "music"], "Ines Ward",
     "Harbor Jazz Festival draws record crowd",
     "About 40,000 people came to the Harbor Jazz Festival over three days. Organizers said the new second "
     "stage at the Central Wharf eased crowding."),
    ("harbor-jazz-festival-2023", "2023-08-19", "culture", ["harbor jazz festival", "music"], "Ines Ward",
     "Harbor Jazz Festival adds free youth stage",
     "This year's Harbor Jazz Festival adds a free youth stage for school bands. Last year's "
     "[[harbor-jazz-festival-2022|record crowd]] pushed organizers to extend hours."),
    ("library-renovation", "2023-01-16", "culture", ["library", "old town"], "Ines Ward",
     "Old Town library to close for renovation",
     "The Old Town branch library will close in March for a renovation paid for by the 2022 budget. A "
     "bookmobile will serve the neighborhood."),
    ("library-reopens", "2024-05-06", "culture", ["library", "old town"], "Ines Ward",
     "Renovated Old Town library reopens with maker space",
     "The [[library-renovation|Old Town library renovation]] is done. The branch reopened with a maker space, "
     "longer hours and a reading room facing the harbor."),
    ("mariners-season-opener", "2023-04-02", "sports", ["mariners", "baseball"], "Sam Price",
     "Harbor Mariners win season opener in extra innings",
     "The Harbor Mariners beat Riverton 5-4 in eleven innings in front of a sold-out crowd at Dock Field."),
    ("dock-field-lights", "2023-09-12", "sports", ["dock field", "mariners"], "Sam Price",
     "Dock Field gets new LED lights",
     "Dock Field, home of the [[mariners-season-opener|Harbor Mariners]], will get LED lights this winter. "
     "The city says the lights use 60 percent less power."),
    ("rowing-regatta", "2024-06-09", "sports", ["rowing", "regatta", "harbor"], "Sam Price",
     "Harbor Regatta returns after five years",
     "The Harbor Regatta returned with 60 crews from four states. Racing was possible again thanks to "
     "[[harbor-water-quality-2022|cleaner harbor water]], organizers said."),
    ("mariners-playoffs", "2024-09-28", "sports", ["mariners", "baseball"], "Sam Price",
     "Harbor Mariners clinch first playoff spot since 2011",
     "The Harbor Mariners clinched a playoff spot with a 3-1 win over Bayport. It is the first postseason "
     "for the club since 2011. Games will be played under the new [[dock-field-lights|Dock Field lights]]."),
    ("school-lunch-program", "2023-02-21", "city", ["schools", "food"], "Lena Okafor",
     "Harbor schools expand free lunch to every student",
     "Every student in Harbor public schools will get free lunch starting in the fall, the school board "
     "decided. A state program pays for most of the cost."),
    ("bus-route-changes", "2023-08-28", "transport", ["buses", "transit"], "Tomas Reyes",
     "Harbor Transit redraws bus map, adds night service",
     "Harbor Transit redrew its bus network. Route 4 will run every ten minutes and three routes get night "
     "service. Riders can connect to the [[eastbank-ferry-terminal|Eastbank ferry terminal]] on Route 9."),
    ("tidewater-bridge-weight-limit", "2024-03-18", "transport", ["tidewater bridge", "traffic"],
     "Tomas Reyes", "Trucks barred from Tidewater Bridge under new weight limit",
     "Trucks over 20 tons are barred from the Tidewater Bridge starting Monday. The limit follows the "
     "[[tidewater-bridge-study|Tidewater Bridge study]] that found corroded deck beams."),
    ("tidewater-bridge-funding", "2025-01-14", "transport", ["tidewater bridge", "federal grants"],
     "Tomas Reyes", "Tidewater Bridge wins $120 million federal grant for new deck",
     "The Tidewater Bridge will get a new deck paid for largely by a $120 million federal grant, the "
     "city said. Work begins in 2026. The [[tidewater-bridge-weight-limit|truck weight limit]] stays until "
     "then."),
    ("heat-wave-cooling-centers", "2024-07-16", "city", ["heat", "climate", "public health"], "Lena Okafor",
     "City opens cooling centers as heat wave hits",
     "The city opened six cooling centers, including the [[library-reopens|renovated Old Town library]], as "
     "temperatures passed 100 degrees. The [National Weather Service](https://www.weather.gov/) warned the "
     "heat would last through Thursday."),
    ("harbor-seals-return", "2024-04-04", "environment", ["wildlife", "gull island"], "Priya Sand",
     "Harbor seals return to Gull Island",
     "Researchers counted 45 harbor seals hauled out on Gull Island, the most in decades. They point to the "
     "[[gull-island-cleanup|Gull Island cleanup]] and cleaner water."),
    ("offshore-wind-hearing", "2024-10-08", "environment", ["offshore wind", "energy", "climate"],
     "Priya Sand", "Offshore wind farm plan draws crowd to hearing",
     "Hundreds of people attended a federal hearing on a 40-turbine offshore wind farm 20 miles off the "
     "coast. Fishing crews said the turbines would block fishing grounds; supporters cited lower power "
     "bills. The [federal notice](https://www.boem.gov/renewable-energy) lists the comment deadline."),
    ("offshore-wind-port", "2025-02-19", "business", ["offshore wind", "shipyard", "jobs"], "Dev Malik",
     "Northgate Shipyard bids to become offshore wind port",
     "Northgate Shipyard wants to assemble turbines for the proposed "
     "[[offshore-wind-hearing|offshore wind farm]]. The yard says it would add 300 jobs."),
    ("affordable-homes-groundbreaking", "2024-04-30", "city", ["housing", "mayor alvarez"], "Lena Okafor",
     "Ground broken on first 240 affordable homes",
     "Construction began on the first 240 homes paid for by the [[housing-bond-vote|housing bond]]. Mayor "
     "Rosa Alvarez said the homes will open in 2026."),
    ("mayor-alvarez-reelected", "2024-11-06", "city", ["elections", "mayor alvarez"], "Lena Okafor",
     "Mayor Alvarez wins second term",
     "Mayor Rosa Alvarez won a second term with 55 percent of the vote. She promised to finish the "
     "[[seawall-plan|Old Town seawall]] and the [[mayor-alvarez-housing-plan|affordable housing plan]]."),
    ("ferry-ridership-record", "2025-06-10", "transport", ["ferries", "ridership"], "Mara Quint",
     "Harbor ferry ridership hits record",
     "Harbor ferries carried a record 1.9 million riders in the year to May. The "
     "[[electric-ferry-launch|electric ferry]] and the [[ferry-fare-freeze|frozen fares]] helped, the Port "
     "Authority said."),
    ("fish-market-expansion", "2025-05-27", "business", ["fish market", "waterfront"], "Dev Malik",
     "Pier 4 fish market adds a food hall",
     "The Pier 4 fish market, which [[fish-market-reopens|reopened after a fire]] in 2022, will add a food "
     "hall with eight vendors next spring."),
    ("mariners-new-manager", "2025-01-30", "sports", ["mariners", "baseball"], "Sam Price",
     "Harbor Mariners name new manager",
     "The Harbor Mariners named former catcher Ana Ruiz as manager, months after the club's "
     "[[mariners-playoffs|first playoff run since 2011]]."),
]


def main() -> None:
    by_slug = {a[0]: a for a in ARTICLES}

    def url(slug: str) -> str:
        date = by_slug[slug][1]
        return f"{BASE}/{date[:4]}/{date[5:7]}/{slug}/"

    def link(m: re.Match) -> str:
        slug, anchor = m.group(1), m.group(2)
        return f"[{anchor}]({url(slug)})"

    out = Path(__file__).resolve().parents[1] / "src/linkdesk/data/demo/archive.jsonl"
    with open(out, "w", encoding="utf-8") as fh:
        for slug, date, section, tags, author, title, body in ARTICLES:
            record = {"id": slug, "url": url(slug), "title": title, "published": date, "section": section,
                      "tags": tags, "authors": [author], "format": "markdown",
                      "body": re.sub(r"\[\[([\w-]+)\|([^\]]+)\]\]", link, body)}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {len(ARTICLES)} articles to {out}")


if __name__ == "__main__":
    main()
