"""Generate data/users.json, the stand-in's sample directory (deterministic: fixed seed, no set iteration).

    python tests/standin/generate_data.py [--output PATH]

The file is committed; a test checks that it still equals what build() produces.
"""

import argparse
import json
import random
import sys
import unicodedata
from pathlib import Path

SEED = 20200701  # Phone Lock's REST API shipped with UCX Suite 2020.Summer.1
OUTPUT = Path(__file__).resolve().parent / "data" / "users.json"

ACCOUNTS = [
    {"username": "api-admin", "password": "Adm1n:Pässwörd€2020", "permission": "admin", "department": None},
    {"username": "api-complete", "password": "Complete-Mgmt-2020", "permission": "complete_management", "department": None},
    {"username": "api-rnd-manager", "password": "RnD-Manager-2020", "permission": "department_manager", "department": "R&D"},
    {"username": "api-sales-manager", "password": "Sales-Manager-2020", "permission": "department_manager", "department": "Sales"},
    {"username": "api-nobody", "password": "Nobody-2020", "permission": "none", "department": None},
]

# Department -> (weight, cost-centre number).
DEPARTMENTS = {
    "R&D": (16, 100), "Sales": (15, 200), "Support": (12, 300), "IT": (8, 400), "Finance": (7, 500),
    "Amministrazione": (7, 510), "Qualità": (8, 600), "Logística": (8, 700), "Human Resources": (6, 800),
    "Relações Públicas": (5, 900),
}

ITALIAN = (
    ["Marco", "Giulia", "Luca", "Francesca", "Alessandro", "Chiara", "Matteo", "Sara", "Davide", "Elena", "Andrea",
     "Valentina", "Simone", "Federica", "Stefano", "Martina", "Lorenzo", "Silvia", "Paolo", "Ilaria", "Nicolò", "Beatrice"],
    ["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo",
     "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo", "Lombardi", "Moretti", "Barbieri", "Fontana", "D'Angelo"],
)
AMERICAN = (
    ["James", "Mary", "Michael", "Jennifer", "David", "Linda", "Robert", "Patricia", "Daniel", "Emily", "Kevin", "Ashley",
     "Brian", "Jessica", "Carlos", "María", "Sofía", "Wei", "Aaliyah", "Ethan", "José"],
    ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernández",
     "Lopez", "Wilson", "Anderson", "Taylor", "Jackson", "O'Brien", "Nguyen", "Kim", "Chen", "Cohen"],
)
AUSTRALIAN = (
    ["Oliver", "Charlotte", "Jack", "Amelia", "William", "Isla", "Noah", "Mia", "Thomas", "Olivia", "Lachlan", "Chloe",
     "Liam", "Grace", "Harrison", "Zoe"],
    ["Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "White", "Martin", "Thompson", "Walker", "Harris", "Lee",
     "Ryan", "Robinson", "Kelly", "King", "McDonald"],
)
INDIAN = (
    ["Aarav", "Ananya", "Vihaan", "Diya", "Arjun", "Priya", "Rohan", "Kavya", "Siddharth", "Aditi", "Rahul", "Sneha",
     "Karthik", "Lakshmi", "Vikram", "Meera", "Suresh", "Deepa", "Naveen", "Pooja"],
    ["Sharma", "Patel", "Reddy", "Nair", "Iyer", "Rao", "Kumar", "Gupta", "Menon", "Krishnan", "Pillai", "Bhat", "Hegde",
     "Shetty", "Joshi", "Singh"],
)

# Site -> (head count, code, buildings, floors, name pool).
SITES = {
    "Milano": (90, "MI", "AB", 6, ITALIAN),
    "Roma": (60, "RM", "A", 4, ITALIAN),
    "New York": (55, "NY", "AB", 30, AMERICAN),
    "Sydney": (45, "SY", "A", 12, AUSTRALIAN),
    "Bangalore": (50, "BL", "ABC", 5, INDIAN),
}

# People whose name also exists in a non-Latin script (customField6), so filters carry real Unicode.
LOCAL_NAMES = {
    "Milano": [("Dmitri", "Ivanov", "Дмитрий Иванов")],
    "New York": [("Giorgos", "Papadopoulos", "Γιώργος Παπαδόπουλος"), ("Eleni", "Georgiou", "Ελένη Γεωργίου")],
    "Sydney": [("Yuki", "Tanaka", "田中 由紀"), ("Haruto", "Sato", "佐藤 陽翔")],
    "Bangalore": [("Ananya", "Rao", "ಅನನ್ಯಾ ರಾವ್")],
}

# Team tags (customField5) that need URL encoding beyond '&': + # / = % and spaces.
TEAM_TAGS = ["C++ Guild", "Team #7", "Ops 24/7", "Rate=50%", "A&B Merger", "Blue Team"]
ROLES = ["Employee"] * 16 + ["Manager"] * 2 + ["Contractor"]
INITIALLY_LOCKED = 8
LOWERCASE_RND = 2  # R&D users stored as "r&d", like a hand-typed directory: case-insensitive matching matters


def ascii_slug(text: str) -> str:
    """Username part: accents stripped, only letters kept ('D'Angelo' -> 'dangelo', 'Nicolò' -> 'nicolo')."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(char for char in plain.lower() if char.isalnum())


def make_user(rng: random.Random, site: str, first: str, last: str, taken: dict[str, int]) -> dict:
    dummy, code, buildings, floors, dummy = SITES[site]
    department = rng.choices(list(DEPARTMENTS), weights=[weight for weight, dummy in DEPARTMENTS.values()])[0]
    base = f"{ascii_slug(first)}.{ascii_slug(last)}"
    taken[base] = taken.get(base, 0) + 1
    user = {
        "username": base if taken[base] == 1 else f"{base}{taken[base]}",
        "name": f"{first} {last}",
        "department": department,
        "customField1": site,
        "customField2": f"Building {rng.choice(buildings)} / Floor {rng.randint(1, floors)}",
        "customField3": f"CC-{code}-{DEPARTMENTS[department][1]}",
        "customField4": rng.choice(ROLES),
    }
    user["customField5"] = rng.choice(TEAM_TAGS) if rng.random() < 0.12 else ""
    for number in range(6, 11):
        user[f"customField{number}"] = ""
    if department == "Support" and site == "Bangalore":
        user["customField10"] = "Night shift"
    user["locked"] = False
    return user


def build() -> dict:
    rng = random.Random(SEED)
    taken: dict[str, int] = {}
    users = []
    for site, (count, dummy, dummy, dummy, (firsts, lasts)) in SITES.items():
        people = list(LOCAL_NAMES.get(site, []))
        while len(people) < count:
            people.append((rng.choice(firsts), rng.choice(lasts), ""))
        rng.shuffle(people)
        site_users = []
        for first, last, local in people:
            user = make_user(rng, site, first, last, taken)
            user["customField6"] = local
            site_users.append(user)
        # Every site has a front desk (2 receptionists) and a security desk: phones a night lock might spare.
        for user in site_users[:2]:
            user["customField4"] = "Reception"
        site_users[2]["customField4"] = "Security"
        users.extend(site_users)
    locked = set(rng.sample(range(len(users)), INITIALLY_LOCKED))
    for index, user in enumerate(users):
        user["locked"] = index in locked
    for user in [user for user in users if user["department"] == "R&D"][-LOWERCASE_RND:]:
        user["department"] = "r&d"
    return {"accounts": ACCOUNTS, "users": users}


def render(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help="where to write (default: data/users.json beside this file)")
    args = parser.parse_args(argv)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(render(build()), encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
