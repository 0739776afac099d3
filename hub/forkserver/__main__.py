from hub.forkserver.server import main

main()
