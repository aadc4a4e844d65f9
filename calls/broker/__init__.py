"""The RabbitMQ consumer behind `manage.py consume_calls` (docs/broker.md).

`consumer.py` reads a queue in batches and stores them through the ingest service,
acknowledging only after commit; `messages.py` turns a message into a document and a poison
message into its dead-letter copy; `backoff.py` paces reconnection.
"""
