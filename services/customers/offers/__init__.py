"""Target marketing (seed 004): the offers made to a customer, each with its campaign, date, channel
and outcome, listed on the card beside its campaign flags."""
