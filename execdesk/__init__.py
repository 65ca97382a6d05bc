"""ExecDesk. Importing the package loads nothing: the pure domain (execdesk.domain) stays free of Django
and Celery. The Celery app (execdesk.celery) is loaded where Django starts (DeskConfig.ready()) and by
`celery -A execdesk`, which finds execdesk.celery.app."""
