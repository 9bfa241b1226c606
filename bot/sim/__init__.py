"""The Atlas Cloud simulator: a faithful fake of the video API, for tests and dry runs."""
