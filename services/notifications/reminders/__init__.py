"""Payment reminders (seed 001): the concept catalogue, each customer's settings, the read models
fed by the customers service's receivable, consent and address events, the senders' own mailboxes
and the daily job that sends each due reminder once."""
