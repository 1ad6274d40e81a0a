"""Steward's Dagster resources: one client per outside system (database, mailbox, mailer, alerts,
providers), each a registered `ConfigurableResource`, and the table stores (resources/store/),
the only code that writes the application's tables. No workflow lives here: see services/."""
