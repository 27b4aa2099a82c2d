"""The visitor's screens, one step each. None opens another: each dismisses with its
result, and screens.flow puts them in order."""
