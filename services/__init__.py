"""The three Passerelle services: referrals, matching, notifications."""
