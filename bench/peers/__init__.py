"""Django peers of jwks_auth in one identical minimal Django + DRF stack (`make bench`, section "peers")."""
