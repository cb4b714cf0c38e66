from kerasfix.cli import main

raise SystemExit(main())
