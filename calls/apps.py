from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "calls"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from calls import signals  # noqa: F401  (post_migrate: partitions ahead of time)
        from calls.store import lookups

        lookups.register()  # `like` / `ilike` on text fields (the CarrierX filter language)
