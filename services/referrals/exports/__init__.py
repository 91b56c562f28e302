"""What referrals hands to other systems in their own standards: HSDS 3.0 and data·inclusion."""
