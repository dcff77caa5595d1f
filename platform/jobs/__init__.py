"""Background work: rq queues, the outbox relay, the worker and rq cron."""
