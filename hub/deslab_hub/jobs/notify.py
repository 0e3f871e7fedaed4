"""Optional e-mail when a job ends, through the configured SMTP server."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from typing import Any

from deslab_hub.jobs.models import JobRecord


class Notifier:
    """Sends one e-mail per finished job whose owner asked for it."""

    def __init__(self, settings: Any, log: Any) -> None:
        self.settings = settings
        self.log = log

    @property
    def enabled(self) -> bool:
        return bool(self.settings.smtp_host and self.settings.email_address_template)

    def address(self, username: str) -> str:
        return self.settings.email_address_template.format(username=username)

    def message(self, job: JobRecord) -> EmailMessage:
        msg = EmailMessage()
        label = job.name or job.id
        msg["Subject"] = f"DESlab job {label[:80]!r} {job.phase}"
        msg["From"] = self.settings.email_from
        msg["To"] = self.address(job.owner)
        lines = [
            f"Your DESlab {job.type} job {label!r} ended: {job.phase}.",
            f"Job id: {job.id}",
            f"Results: ~/jobs/{job.id}/",
        ]
        if job.error:
            lines.append(f"Reason: {job.error}")
        if job.results:
            lines.append("Files: " + ", ".join(str(r.get("name")) for r in job.results[:20]))
        lines.append(f"The results are kept until {job.destruction:%Y-%m-%d %H:%M} UTC.")
        if self.settings.public_url:
            lines.append(f"Open the platform: {self.settings.public_url}")
        msg.set_content("\n".join(lines) + "\n")
        return msg

    def _send(self, msg: EmailMessage) -> None:
        s = self.settings
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=15) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username:
                with open(s.smtp_password_file, encoding="utf-8") as f:
                    smtp.login(s.smtp_username, f.read().strip())
            smtp.send_message(msg)

    async def job_ended(self, job: JobRecord) -> None:
        """E-mail the owner of ``job`` if they asked for it (errors are logged, not raised)."""
        if not (job.notify_email and self.enabled):
            return
        try:
            await asyncio.get_running_loop().run_in_executor(None, self._send, self.message(job))
        except (OSError, smtplib.SMTPException) as exc:
            self.log.warning("could not e-mail %s about job %s: %s", job.owner, job.id, exc)
