"""django.contrib.admin under the desk's roles: the AppConfig (apps.py) and the site (site.py)."""
