"""The acme client."""
