#!/bin/sh
pg_isready -U shop -d shop
