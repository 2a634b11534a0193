"""The canh collector: enrollment, signed ingest, store, checks and scores, API, metrics, web."""
