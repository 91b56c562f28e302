"""How referrals says things to people: French first (dates, statuses, reasons in words) and the English
catalogue; used by the console, the exports and the e-mails alike."""
