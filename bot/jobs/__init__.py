"""One job's life: validate, quote, hold, upload, submit, poll, deliver, settle."""
