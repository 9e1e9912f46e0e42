"""Pages kept ready between the changes that alter them: each ward's cache version
(``versions``) and the pages keyed by it (``pages``)."""
