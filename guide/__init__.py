"""Guided filing: a short diagnosis per complaint category before the filing form (rights, evidence, a letter
to the merchant, referrals out of remit), its content in one data file per language."""
