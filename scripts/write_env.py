"""Print a .env for a local run: fresh secrets, plain-HTTP cookies on 127.0.0.1."""

import secrets

from cryptography.fernet import Fernet

print(f"SECRET_KEY={secrets.token_urlsafe(50)}")
print(f"GATEWAY_ENCRYPTION_KEYS={Fernet.generate_key().decode()}")
print("DEBUG=false")
# A local run is served over plain HTTP; production keeps the secure defaults.
print("SECURE_SSL_REDIRECT=false")
print("SESSION_COOKIE_SECURE=false")
print("CSRF_COOKIE_SECURE=false")
print("SECURE_HSTS_SECONDS=0")
