"""`python -m lib.serve …`: start the app behind its web layer; the launcher lives in lib/ui/serve.py."""

from lib.ui.serve import main

if __name__ == "__main__":
    main()
