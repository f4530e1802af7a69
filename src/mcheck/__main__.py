from mcheck.cli import main

main()
