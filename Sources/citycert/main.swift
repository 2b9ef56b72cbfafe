print("citycert")
