"""Privacy (AVG/GDPR): pseudonymise identifiers, mask personal data in free text.

Pseudonyms are a keyed hash of the identifier (SipHash-2-4, a pseudorandom function designed
for keyed hashing, under a 128-bit key derived from the project key with HMAC-SHA256), so the
same customer gets the same pseudonym in every file and every run of a project and nobody
without the key can recompute or invert them. The hash runs over whole columns at once, as a
compiled loop where the package's compiled part is built (:mod:`klantladder.native`), else with
NumPy: five million ids take about 0.15 s, or about half a second. Pseudonymised data
is still personal data under the AVG: keep it as carefully as the raw data.

**The key** lives outside the repository and outside client folders: in the file named by the
environment variable ``KLANTLADDER_KEY_FILE`` if that is set, else in
``~/.config/klantladder/pseudonym.key``. It is 32 random bytes, created on first use with file
mode 0600 (owner only). Use one key per project: share it only with whoever must reproduce the
same pseudonyms, and never commit it. Losing the key means new pseudonyms that do not match the
old ones (waves can no longer be linked).

Free text is masked with :func:`mask_text` / :func:`mask_series`: e-mail addresses, phone numbers,
IBANs, BSN-like 9-digit numbers and names introduced as "mijn naam is ..." / "my name is ...".
URLs are left alone (apart from e-mail addresses inside them); dates, times, amounts and postcodes
are not masked. The placeholders are words of the report's language (:data:`MASKS`): text masked
in one language is put in the other with :func:`localise_masks` / :func:`localise_mask_frame`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .errors import Finding, InputError
from .readers import clean_text_chunks
from .native import _native
from .siphash import siphash24

__all__ = [
    "KEY_ENV",
    "KEY_BYTES",
    "key_path",
    "load_or_create_key",
    "SIPHASH_LABEL",
    "siphash_key",
    "id_text",
    "pseudonym_hashes",
    "pseudonym_text",
    "factorize_hashes",
    "pseudonymise",
    "MASKS",
    "mask_text",
    "mask_series",
    "localise_masks",
    "localise_mask_frame",
]

KEY_ENV = "KLANTLADDER_KEY_FILE"
KEY_BYTES = 32


def key_path() -> Path:
    """Where the pseudonymisation key lives: ``$KLANTLADDER_KEY_FILE``, else
    ``~/.config/klantladder/pseudonym.key``."""
    env = os.environ.get(KEY_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    return Path.home() / ".config" / "klantladder" / "pseudonym.key"


def _key_error(path: Path, nl: str, en: str) -> InputError:
    return InputError({"nl": "De pseudonimiseringssleutel is onbruikbaar.", "en": "The pseudonymisation key is unusable."},
                      [Finding(rule="pseudonym_key", level="error", file=str(path), message={"nl": nl, "en": en})])


def load_or_create_key(path: Path | None = None) -> bytes:
    """The project's pseudonymisation key: read it, or create 32 random bytes on first use.

    The file is created with mode 0600 (its folder with 0700) and atomically, so two processes
    starting at once end up with the same key. Raises :class:`InputError` (rule ``pseudonym_key``)
    if an existing key file is too short to be a key.
    """
    path = Path(path) if path is not None else key_path()
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(KEY_BYTES))
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)  # atomic, and never replaces a key another process just wrote
            except FileExistsError:
                pass
        finally:
            tmp.unlink(missing_ok=True)
    try:
        key = path.read_bytes()
    except OSError as exc:
        raise _key_error(path, f"De sleutel kan niet gelezen worden ({exc.strerror}). Controleer de rechten "
                               f"van het bestand.",
                         f"The key cannot be read ({exc.strerror}). Check the file's permissions.") from None
    if len(key) < 16:
        raise _key_error(path, f"Het sleutelbestand bevat {len(key)} bytes; verwacht {KEY_BYTES}. Zet de juiste "
                               f"sleutel terug, of verwijder het bestand om een nieuwe te maken (de pseudoniemen "
                               f"veranderen dan).",
                         f"The key file holds {len(key)} bytes; expected {KEY_BYTES}. Put the right key back, "
                         f"or delete the file to create a new one (the pseudonyms will change).")
    return key


#: Label under which the SipHash key is derived from the project key. Changing it changes every
#: pseudonym, so it is fixed.
SIPHASH_LABEL = b"klantladder-siphash"
_HEX4 = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)[
    (np.arange(65536)[:, None] >> np.array([12, 8, 4, 0])) & 15].astype(np.uint8).view("<u4").ravel()
"""Four lower-case hex digits (ASCII, as one little-endian uint32) of every 16-bit number."""


def siphash_key(key: bytes) -> bytes:
    """The 16-byte SipHash key of a project key: the first 16 bytes of HMAC-SHA256(key, ``SIPHASH_LABEL``).

    Deriving it (rather than using the first 16 key bytes) keeps the whole project key in play
    and the key itself out of every computation on the data.
    """
    if not key:
        raise ValueError("pseudonymisation needs a non-empty key")
    return hmac.new(key, SIPHASH_LABEL, hashlib.sha256).digest()[:16]


def _one_text(value: object) -> str | None:
    """One identifier as text: an integral float as its integer (``12.0`` -> ``"12"``)."""
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if v != v:
            return None
        return str(int(v)) if v.is_integer() and abs(v) < 2**63 else str(v)
    return None if value is None or value is pd.NA else str(value)


def id_text(values: pd.Series) -> pa.ChunkedArray:
    """The canonical text of identifiers: what is hashed.

    Text is stripped of surrounding white space; an integral number counts as its integer, so
    ``12``, ``"12"`` and ``12.0`` (Excel and SPSS give ids back as floats) agree, while ``"012"``
    stays different. Missing and blank cells are null. Chunked as the column is stored
    (:func:`~klantladder.readers.clean_text_chunks`).
    """
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype):
        return clean_text_chunks(values)
    if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        return clean_text_chunks(pd.Series(pa.array(values, from_pandas=True).cast(pa.string()), dtype="str"))
    # floats, objects, booleans: the distinct values one by one (such id columns are rare)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = pa.array([_one_text(u) for u in uniques], type=pa.string()).take(pa.array(codes, mask=codes < 0))
    return clean_text_chunks(pd.Series(texts, dtype="str"))


def pseudonym_hashes(text: pa.Array | pa.ChunkedArray, key: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Keyed 64-bit hashes of identifier texts (:func:`id_text`); returns (hashes, missing).

    The hash is SipHash-2-4 (:func:`klantladder.siphash.siphash24`) of the UTF-8 bytes under
    :func:`siphash_key`. SipHash is a pseudorandom function built for keyed hashing: without the
    key nobody can compute or invert a pseudonym. Missing ids get hash 0 and ``missing`` True.
    """
    missing = np.asarray(text.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    hashes = siphash24(text, siphash_key(key))
    hashes[missing] = 0
    return hashes, missing


def pseudonym_text(hashes: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """``p_`` + the 16 lower-case hex digits of each hash, as an Arrow ``large_string`` array (what
    pandas' text columns hold, so no conversion follows; null where missing)."""
    hashes = np.ascontiguousarray(hashes, dtype=np.uint64)
    n = hashes.size
    chars = np.empty((n, 18), dtype=np.uint8)
    if _native is not None:  # the compiled loop (klantladder.native): same text
        _native.pseudonym_text(hashes, chars)
    else:
        chars[:, 0], chars[:, 1] = ord("p"), ord("_")
        quarters = hashes.astype(">u8").view(">u2").astype(np.uint16)  # most significant 16 bits first
        chars[:, 2:] = _HEX4[quarters].view(np.uint8).reshape(n, 16)
    offsets = np.arange(0, 18 * (n + 1), 18, dtype=np.int64)
    validity = None
    if missing is not None and missing.any():
        validity = pa.array(~missing).buffers()[1]
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(chars), validity)


def factorize_hashes(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct values of 64-bit hashes in order of first appearance, as
    :func:`pandas.factorize` gives them (with the compiled loop where it is built)."""
    hashes = np.ascontiguousarray(hashes, dtype=np.uint64)
    if _native is None:
        codes, uniques = pd.factorize(hashes)
        return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=np.uint64)
    codes = np.empty(hashes.size, dtype=np.int64)
    uniques = np.empty(hashes.size, dtype=np.uint64)
    count = _native.factorize_u64(hashes, codes, uniques)
    return codes, uniques[:count].copy()


def pseudonymise(values: pd.Series, key: bytes) -> pd.Series:
    """Replace identifiers by ``p_`` + 16 hex digits of their keyed hash (:func:`pseudonym_hashes`).

    The id is taken as its canonical text (:func:`id_text`: stripped; an integral number as its
    integer, so ``12``, ``"12"`` and ``12.0`` agree; ``"012"`` stays different). Missing and blank
    stay missing. Deterministic for a key and vectorised (see the module).
    """
    hashes, missing = pseudonym_hashes(id_text(values), key)
    return pd.Series(pseudonym_text(hashes, missing), index=values.index, name=values.name, dtype="str")


# --------------------------------------------------------------------------------------- masking

MASKS: dict[str, dict[str, str]] = {
    "nl": {"email": "[e-mail]", "phone": "[telefoon]", "iban": "[IBAN]", "number": "[nummer]", "name": "[naam]"},
    "en": {"email": "[e-mail]", "phone": "[phone]", "iban": "[IBAN]", "number": "[number]", "name": "[name]"},
}
"""Per language, the placeholder each kind of personal data is replaced by."""

_D = "[0-9]"
_URL = r"(?P<url>\b(?:https?://|www\.)[^\s<>\"']+)"
_DOMAIN = r"@[\w-]+(?:\.[\w-]+)*\.[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]"
_EMAIL = r"(?P<email>[\w.!#$%&'*+/=?^`{|}~-]+" + _DOMAIN + ")"
_INTL = rf"(?P<intl>(?<![\w+\]])(?:\+|00)[1-9]{_D}{{0,2}}(?:[\s.-]?\(0\))?(?:[\s.-]?\(?{_D}++\)?)+(?![\w\[]))"
_NATIONAL = (rf"(?P<national>(?<![\w+/.,:\]-])(?:\(0[1-9]{_D}{{0,2}}\)|0[1-9]{_D}{{0,2}})"
             rf"(?:\s?-\s?|\s)?{_D}(?:\s?{_D}){{5,8}}(?![\w/:\[-]|[.,]{_D}))")
_IBAN = (rf"(?P<iban>(?<![\w\]-])[A-Za-z]{{2}}{_D}{{2}}(?:[ ]?[A-Za-z0-9]{{4}}){{2,7}}"
         rf"(?:[ ]?[A-Za-z0-9]{{1,3}})?(?![\w\[-]))")
_BSN = (rf"(?P<number>(?<![\w.,/:€$\]-]){_D}{{9}}(?![\w\[]|[.,]{_D})"
        rf"|(?<![\w.,\]]){_D}{{4}}\.{_D}{{2}}\.{_D}{{3}}(?![\w.\[]))")
_PARTICLE = r"(?:van|de|der|den|te|ter|ten|het|la|le|du|von|da|di|el|al|op|in|'t)"
_STOP = (r"(?:en|and|ik|i|maar|but|from|uit|wil|want|heb|have|had|was|is|ben|am|bij|at|of|or|met|with|"
         r"het|de|een|a|an|the|en|not|niet|no|geen|van|voor|for|to|naar|om)\b")
_CAP = r"[A-Z\u00c0-\u00d6\u00d8-\u00de][^\W\d_]*(?:['\u2019-][^\W\d_]+)*(?![\w@])"
_LOW = r"[a-z\u00df-\u00f6\u00f8-\u00ff][^\W\d_]*(?:['\u2019-][^\W\d_]+)*(?![\w@])"
_CAPITALISED_NAME = (rf"(?:{_PARTICLE}\s+)*{_CAP}"  # Anna van der Berg, de Vries: up to four words
                     rf"(?:\s+(?:{_PARTICLE}\s+)*(?!(?i:{_STOP})){_CAP}){{0,3}}")
_LOWER_NAME = rf"(?!{_STOP}){_LOW}(?:\s+(?!{_STOP}){_LOW})?"  # jan jansen: at most two words
_NAME = (r"(?P<intro>\b(?i:mijn naam is|ik heet|my name is|my name's)\s+)"
         rf"(?P<name>{_CAPITALISED_NAME}|{_LOWER_NAME})")
_PATTERN = re.compile("|".join([_URL, _EMAIL, _NAME, _IBAN, _INTL, _NATIONAL, _BSN]))
_EMAIL_ONLY = re.compile(r"[\w.!#$%'*+^`{|}~-]+" + _DOMAIN)  # inside URLs: no ?, =, & or / before @
_TRIGGER = r"[0-9@]|(?i:naam is|name is|name's|ik heet)"


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


def _replace(m: re.Match[str], masks: dict[str, str]) -> str:
    kind = m.lastgroup
    text = m.group(0)
    if kind == "url":
        return _EMAIL_ONLY.sub(masks["email"], text)
    if kind == "email":
        return masks["email"]
    if kind == "name":
        return m.group("intro") + masks["name"]
    if kind == "iban":
        compact = text.replace(" ", "")
        return masks["iban"] if 15 <= len(compact) <= 34 and any(c.isdigit() for c in compact[4:]) else text
    if kind == "intl":
        return masks["phone"] if 8 <= _digits(text) <= 15 else text
    if kind == "national":
        return masks["phone"] if _digits(text) == 10 else text
    if kind == "number":
        return masks["number"]
    return text


def _masks(language: str) -> dict[str, str]:
    """The placeholders of ``language`` (Dutch for a language klantladder does not write)."""
    return MASKS.get(language, MASKS["nl"])


def mask_text(text: str, language: str = "nl") -> str:
    """Mask personal data in one free-text answer, with the placeholders of ``language`` (:data:`MASKS`).

    E-mail addresses -> ``[e-mail]``; phone numbers (Dutch 06-12345678, 020-1234567,
    (020) 123 4567, +31 6 12345678, 0031 6 ...; international +44 20 7946 0958,
    +1 (555) 123-4567) -> ``[telefoon]`` (English ``[phone]``); IBANs (any country, with or
    without spaces) -> ``[IBAN]``; BSN-like 9-digit numbers (also 1234.56.789) -> ``[nummer]``
    (``[number]``); the name after "mijn naam is" / "ik heet" / "my name is" -> ``[naam]``
    (``[name]``). URLs, dates (12-03-2024), times (10:30), amounts (€1.234,56) and postcodes
    (1234 AB 12) stay. Idempotent: masking twice changes nothing.
    """
    masks = _masks(language)
    return _PATTERN.sub(lambda m: _replace(m, masks), text)


def mask_series(s: pd.Series, language: str = "nl") -> pd.Series:
    """:func:`mask_text` over a column; missing stays missing. Only rows that contain a digit,
    an ``@`` or a name phrase are run through the regular expressions, each distinct text once."""
    if not (isinstance(s.dtype, pd.StringDtype) or s.dtype == object):
        s = s.astype("str")
    text = s.astype("str")
    todo = text.str.contains(_TRIGGER, regex=True).fillna(False).astype(bool)
    if not todo.any():
        return text
    codes, uniques = pd.factorize(text[todo])
    masked = np.array([mask_text(t, language) for t in uniques], dtype=object)
    out = text.copy()
    out[todo] = masked[codes]
    return out


_PLACEHOLDER = re.compile("|".join(sorted({re.escape(m) for masks in MASKS.values() for m in masks.values()})))
_KIND = {m: kind for masks in MASKS.values() for kind, m in masks.items()}


def localise_masks(text: str, language: str) -> str:
    """``text`` masked in any language with the placeholders of ``language`` instead
    (``[telefoon]`` -> ``[phone]`` for ``"en"``, and back for ``"nl"``). Nothing is unmasked."""
    masks = _masks(language)
    return _PLACEHOLDER.sub(lambda m: masks[_KIND[m.group(0)]], text)


def _localise_column(s: pd.Series, language: str) -> pd.Series:
    """A text column with the placeholders of ``language``: the same object when none changes."""
    text = s.astype("string")
    hit = text.str.contains(_PLACEHOLDER.pattern, regex=True).fillna(False).astype(bool)
    if not hit.any():
        return s
    codes, uniques = pd.factorize(text[hit])
    local = [localise_masks(t, language) for t in uniques]
    if local == list(uniques):
        return s
    out = s.copy()
    out[hit] = np.array(local, dtype=object)[codes]
    return out


def localise_mask_frame(df: pd.DataFrame, language: str) -> pd.DataFrame:
    """``df`` with every text column's placeholders in ``language`` (:func:`localise_masks`).

    Only text columns (string or object dtype) are looked at; the same frame comes back when no
    cell changes, else a shallow copy with the changed columns replaced.
    """
    changed = {}
    for name in df.columns:
        s = df[name]
        if isinstance(s.dtype, pd.StringDtype) or s.dtype == object:
            new = _localise_column(s, language)
            if new is not s:
                changed[name] = new
    if not changed:
        return df
    out = df.copy(deep=False)
    for name, s in changed.items():
        out[name] = s
    out.attrs = dict(df.attrs)
    return out
