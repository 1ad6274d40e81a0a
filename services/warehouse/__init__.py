"""The warehouse: daily facts from the events every area writes, checks that they agree with
the source tables, and Parquet exports for notebook users."""
