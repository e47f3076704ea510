"""The provider's account numbers, as the assistant and the voice channel both know them."""

ACCOUNT_DIGITS = 15  # every account number has exactly this many digits
