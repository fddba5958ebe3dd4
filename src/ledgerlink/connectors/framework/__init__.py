"""The parts connectors are declared from (streams, paginators, record selectors, mappers).

Built-in connectors and user-declared custom connectors are made of the same parts: a stream is
mostly data (path, params, where the records are, how pages go, how to map a record), with code only
where an API is truly peculiar.
"""
