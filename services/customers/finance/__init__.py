"""Financial summary (seed 004's "Fin. info", seed 001's receivables): invoices, payments, deposits,
financial-block steps and exchange rates imported from billing; read only on the card."""
