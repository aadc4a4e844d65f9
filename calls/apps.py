from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "calls"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from calls import signals  # noqa: F401  (post_migrate: partitions ahead of time)
        from calls.store import lookups
        from cdrapi import synchronous

        lookups.register()  # `like` / `ilike` on text fields (the CarrierX filter language)
        # A commit the synchronous standby did not confirm is not acknowledged.
        connection_created.connect(synchronous.watch)
