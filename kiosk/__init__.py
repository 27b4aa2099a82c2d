"""kiosk: a privacy-first visitor registration kiosk."""
