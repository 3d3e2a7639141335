"""The HTTP edge shared by every client that sends the NGC key (NGC's API, the registry):
URL and environment checks (`guard`), building the httpx clients (`clients`), one retrying
request (`retry`), reading its answer (`answer`) and bounded concurrency (`bounded`)."""
