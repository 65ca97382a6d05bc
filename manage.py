#!/usr/bin/env python
"""Django's command-line utility for ExecDesk."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "execdesk.settings")
    from django.core.management import execute_from_command_line

    from execdesk.env import ConfigError

    try:
        execute_from_command_line(sys.argv)
    except ConfigError as exc:  # a bad EXECDESK_* setting: say which, without a traceback
        sys.exit(f"execdesk: configuration error: {exc}")
