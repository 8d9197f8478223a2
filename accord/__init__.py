"""Accord's shell: settings, app factory, CLI, auth & CSRF, i18n, errors, clock."""

import os

# Piccolo finds its engine through this module; console scripts do not have the repo on sys.path.
os.environ.setdefault("PICCOLO_CONF", "accord.piccolo_conf")
