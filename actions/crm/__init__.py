"""The customer store: the one interface actions use for customer data, tickets and bookings.

``CustomerStore`` is what a real CRM or ticketing client would implement; ``SqlCustomerStore``
is the bundled implementation on a real SQL database (SQLite by default).
"""
