from ledgerlink.cli.main import main

main()
