"""Which names hold secrets: one rule for model reprs and for log redaction.

Standard library only, and no imports at all, so both :mod:`tcfunc.model`
and :mod:`tcfunc._logging` can use it at no cost.
"""

from __future__ import annotations

__all__ = ["NOT_SECRET_ENDINGS", "SECRET_ENDINGS", "is_not_secret_name", "is_secret_name"]

# Endings of names whose values are credentials or secret data (compared
# case-insensitively, with "_" and "-" removed). An ending rather than a
# substring, so that what describes a secret stays visible: SecretId,
# SecretName, SecretKeyId, PasswordLength, TokenId, KeyName.
SECRET_ENDINGS = (
    # secret keys and secret values (ssm SecretString, SecretBinary, ...)
    "secret",
    "secrets",
    "secretkey",
    "secretkeys",
    "secretstring",
    "secretvalue",
    "secretbinary",
    # passwords
    "password",
    "passwords",
    "passwordnew",
    "passwordvalue",
    "passwd",
    "pwd",
    "passphrase",
    "keypass",
    # tokens and credentials
    "token",
    "tokens",
    "tokenvalue",
    "credential",
    "credentials",
    "credentialcontent",
    "credentialdata",
    "authorization",
    "cookie",
    "cookies",
    # keys that are secrets (not TagKey, KeyId, PublicKey, PrimaryKey)
    "privatekey",
    "privatekeys",
    "privatemapkey",
    "accesskey",
    "apikey",
    "apikeys",
    "appkey",
    "appskey",
    "nwkkey",
    "nwkskey",
    "sessionkey",
    "authkey",
    "signkey",
    "aeskey",
    "deskey",
    "encryptkey",
    "encryptedkey",
    "decryptkey",
    "decryptionkey",
    "plainkey",
    "presharekey",
    "licensekey",
    "keycontent",
    "keymaterial",
    "keytabcontent",
    # decrypted data (kms Decrypt's Plaintext)
    "plaintext",
)
# Endings that look secret but name no secret, and which a reader debugging
# paging, retries or usage wants to see: cursors, idempotency keys, and the
# token counts of language-model APIs (some are strings).
NOT_SECRET_ENDINGS = (
    "nexttoken",
    "pagetoken",
    "paginationtoken",
    "continuetoken",
    "scrolltoken",
    "clienttoken",
    "idempotencytoken",
    "creationtoken",
    "inputtoken",
    "inputtokens",
    "outputtoken",
    "outputtokens",
    "totaltoken",
    "totaltokens",
    "cachedtokens",
    "reasoningtokens",
    "maxtokens",
)


def is_secret_name(name: str) -> bool:
    """Whether a field or header called ``name`` holds a secret (masked in reprs).

    True for names ending (in any case, ignoring ``_`` and ``-``) like a
    secret: ``SecretKey``, ``SecretString``, ``Plaintext``, ``Password``,
    ``DbPwd``, ``Passphrase``, ``Token``, ``ApiKey``, ``AccessKey``,
    ``PrivateKey``, ``SessionKey``, ``Credentials``, ``X-TC-Token``, ...;
    false for names that only describe a secret (``SecretId``,
    ``SecretName``, ``PasswordLength``, ``TokenId``), for paging cursors and
    idempotency keys (``NextToken``, ``ClientToken``) and for the token
    counts of language-model APIs (``TotalTokens``).
    """
    key = name.lower().replace("_", "").replace("-", "")
    return key.endswith(SECRET_ENDINGS) and not key.endswith(NOT_SECRET_ENDINGS)


def is_not_secret_name(name: str) -> bool:
    """Whether ``name`` merely looks secret: a cursor, an idempotency key, a token count."""
    return name.lower().replace("_", "").replace("-", "").endswith(NOT_SECRET_ENDINGS)
