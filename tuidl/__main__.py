from tuidl.cli import main

main()
