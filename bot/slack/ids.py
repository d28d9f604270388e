"""Every action_id, callback_id and block_id the app uses, once.

A string literal id anywhere else is a bug (ARCHITECTURE.md, Names).
"""

from __future__ import annotations

COMMAND = "/mentor"
