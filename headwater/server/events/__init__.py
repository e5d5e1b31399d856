"""The server side of events: the in-process bus the store publishes to after commit,
the domain events state changes emit, and the filters the API reads them with."""
