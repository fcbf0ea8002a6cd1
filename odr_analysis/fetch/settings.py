"""An account folder's ``account.toml``: its marketplaces and its credentials profile.

::

    [amazon]
    marketplaces = ["US", "CA"]   # country codes, names (Amazon.de) or marketplace ids
    profile = "acme"              # python-amazon-sp-api's `account`: env LWA_APP_ID_acme, ...

The file holds no credentials: they come from the environment (``LWA_APP_ID_<profile>``,
``LWA_CLIENT_SECRET_<profile>``, ``SP_API_REFRESH_TOKEN_<profile>``) or from a section of
python-amazon-sp-api's own ``credentials.yml``; a settings file that carries a key looking like
one is refused, so a token never ends up next to the reports.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from odr_analysis.readers.account import ACCOUNT_SETTINGS
from odr_analysis.readers.marketplaces import MARKETPLACES, Marketplace
from odr_analysis.schema import OdrInputError

__all__ = [
    "AccountSettings",
    "SettingsError",
    "find_accounts",
    "read_settings",
    "resolve_marketplace",
]

_SECRET_KEYS: Final = re.compile(r"token|secret|password|lwa_app_id|client_id", re.IGNORECASE)
_PROFILE: Final = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class SettingsError(OdrInputError):
    """An ``account.toml`` that cannot be used, or an account asked for that has none."""


@dataclass(frozen=True)
class AccountSettings:
    """One account taking part in ``odr-fetch``: its folder (the folder name is the account name),
    its marketplaces (in the order given, without repeats) and its credentials profile."""

    name: str
    folder: Path
    marketplaces: tuple[Marketplace, ...]
    profile: str


def resolve_marketplace(value: str) -> Marketplace:
    """The marketplace named by a country code (``US``, ``UK``/``GB``), a name (``Amazon.de``) or
    a marketplace id, in any letter case.

    >>> resolve_marketplace("gb").id, resolve_marketplace("Amazon.co.jp").country
    ('A1F83G8C2ARO7P', 'JP')
    """
    key = str(value).strip().upper()
    for m in MARKETPLACES.values():
        if key in (m.id.upper(), m.name.upper(), m.country) or (key == "GB" and m.country == "UK"):
            return m
    known = ", ".join(m.country for m in MARKETPLACES.values())
    raise SettingsError(
        f"unknown marketplace {value!r}: give a country code ({known}), a name like "
        "Amazon.de, or a marketplace id"
    )


def read_settings(folder: str | Path) -> AccountSettings:
    """Read ``account.toml`` of an account folder.

    Raises :class:`SettingsError` naming the file when it is missing, is not TOML, lacks
    ``[amazon]`` ``marketplaces`` or ``profile``, names an unknown marketplace, or holds a key
    that looks like a credential (credentials never go into the data folder).
    """
    folder = Path(folder)
    path = folder / ACCOUNT_SETTINGS
    where = f"settings file '{path}'"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{where} does not exist") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"{where} cannot be read: {exc}") from None
    amazon = data.get("amazon")
    if not isinstance(amazon, dict):
        raise SettingsError(f"{where} has no [amazon] section (marketplaces, profile)")
    secrets = sorted(k for k in amazon if _SECRET_KEYS.search(k))
    if secrets:
        raise SettingsError(
            f"{where} holds {', '.join(secrets)}: credentials do not belong in the data folder; "
            "remove them and set LWA_APP_ID_<profile>, LWA_CLIENT_SECRET_<profile> and "
            "SP_API_REFRESH_TOKEN_<profile> in the environment (or use python-amazon-sp-api's "
            "credentials.yml)"
        )
    values = amazon.get("marketplaces")
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise SettingsError(
            f'{where}: [amazon] marketplaces must be a list of marketplaces, e.g. ["US", "CA"]'
        )
    profile = amazon.get("profile")
    if not isinstance(profile, str) or not _PROFILE.match(profile):
        raise SettingsError(
            f"{where}: [amazon] profile must be the name of a credentials profile (letters, "
            "digits, '_', '-', '.'), e.g. profile = \"acme\""
        )
    try:
        found = [resolve_marketplace(v) for v in values]
    except SettingsError as exc:
        raise SettingsError(f"{where}: {exc}") from None
    marketplaces = tuple(dict.fromkeys(found))
    return AccountSettings(folder.resolve().name, folder, marketplaces, profile)


def find_accounts(data_dir: str | Path, names: Sequence[str] = ()) -> list[AccountSettings]:
    """The accounts of a portfolio folder that take part (their folder has ``account.toml``),
    sorted by name; only ``names`` when given (an error names any without settings)."""
    root = Path(data_dir)
    if not root.is_dir():
        raise SettingsError(f"data folder '{root}' does not exist or is not a folder")
    folders = {
        p.name: p
        for p in sorted(root.iterdir())
        if p.is_dir() and not p.name.startswith(".") and (p / ACCOUNT_SETTINGS).is_file()
    }
    if names:
        missing = [n for n in names if n not in folders]
        if missing:
            raise SettingsError(
                f"no account folder with {ACCOUNT_SETTINGS} in '{root}' for: "
                f"{', '.join(missing)}" + (f" (found: {', '.join(folders)})" if folders else "")
            )
        folders = {n: folders[n] for n in dict.fromkeys(names)}
    if not folders:
        raise SettingsError(
            f"no account folder in '{root}' has an {ACCOUNT_SETTINGS} ([amazon] marketplaces, "
            "profile): nothing to fetch"
        )
    return [read_settings(p) for p in folders.values()]
