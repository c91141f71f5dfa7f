"""What each entity's fields are called, how they are typed and bounded, and who may edit them."""

from __future__ import annotations

# Kinds of sign-in lock (lib/data/accounts.py sets them; /quan-tri lists and lifts them).
LOCK_LABELS = {
    "account": "Tài khoản (từ trình duyệt lạ)",
    "client": "Máy (địa chỉ)",
    "device": "Trình duyệt quen",
}
