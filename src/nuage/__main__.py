from nuage.cli import main

main()
