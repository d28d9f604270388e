"""Files into a person's DM with the bot, with Slack's files v2 flow.

`files_upload_v2` does the three steps: files.getUploadURLExternal (one per file),
POST the bytes to each upload_url, then one files.completeUploadExternal that shares
them all in the DM (`channel_id`: a DM's id, from conversations.open). files.upload
v1 is retired (SLACK_NOTES §1). `files.info` afterwards is not needed: skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.web.async_client import AsyncWebClient


@dataclass(frozen=True)
class Upload:
    filename: str
    title: str
    content: bytes


async def upload_to_dm(
    client: AsyncWebClient, *, user_id: str, uploads: list[Upload], comment: str
) -> list[str]:
    """Share the files in the DM with `user_id`; the file ids Slack gave them."""
    opened = await client.conversations_open(users=user_id)
    channel_id = opened["channel"]["id"]
    response = await client.files_upload_v2(
        file_uploads=[
            {"filename": u.filename, "title": u.title, "content": u.content} for u in uploads
        ],
        channel=channel_id,
        initial_comment=comment,
        request_file_info=False,
    )
    return [str(f["id"]) for f in response.get("files") or []]
