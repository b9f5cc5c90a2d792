"""The committed sample data: generated deterministically and covering what the tests and the demo rely on."""

import importlib.util
import json
import unicodedata

from standin_client import DATA_FILE, STANDIN_DIR, USERS


def load_generator():
    # Loaded by path under a unique name: the stand-in's modules are not a package.
    spec = importlib.util.spec_from_file_location("standin_generate_data", STANDIN_DIR / "generate_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_file_is_what_the_generator_makes():
    generator = load_generator()
    assert DATA_FILE.read_text(encoding="utf-8") == generator.render(generator.build())


def test_users_cover_the_documented_shapes():
    assert 280 <= len(USERS) <= 320
    assert len({user["username"] for user in USERS}) == len(USERS)
    assert {user["customField1"] for user in USERS} == {"Milano", "Roma", "New York", "Sydney", "Bangalore"}
    departments = {user["department"] for user in USERS}
    assert {"R&D", "Qualità", "Amministrazione", "Logística", "Relações Públicas", "Sales"} <= departments
    assert all(isinstance(user[f"customField{n}"], str) for user in USERS for n in range(1, 11))
    assert any(user["customField4"] == "Reception" for user in USERS)
    assert 0 < sum(user["locked"] for user in USERS) < 20
    values = [user[f"customField{n}"] for user in USERS for n in range(1, 11)]
    assert all(any(char in value for value in values) for char in "+#/=% ")
    assert any(unicodedata.name(char, "").startswith(("CJK", "GREEK")) for value in values for char in value)


def test_accounts():
    accounts = {account["username"]: account for account in json.loads(DATA_FILE.read_text(encoding="utf-8"))["accounts"]}
    assert {name: account["permission"] for name, account in accounts.items()} == {
        "api-admin": "admin", "api-complete": "complete_management", "api-rnd-manager": "department_manager",
        "api-sales-manager": "department_manager", "api-nobody": "none",
    }
    admin_password = accounts["api-admin"]["password"]
    assert ":" in admin_password and any(ord(char) > 255 for char in admin_password)
    assert (accounts["api-rnd-manager"]["department"], accounts["api-sales-manager"]["department"]) == ("R&D", "Sales")
