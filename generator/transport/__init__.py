"""The HTTP edge shared by every client that sends the NGC key (NGC's API, the registry):
URL and environment checks (`guard`), one retrying request (`retry`) and bounded
concurrency (`bounded`)."""
