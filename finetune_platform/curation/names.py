"""Word lists behind person-name detection, bundled so that no NER model has to be downloaded.

Hand-written: spaCy/Presidio need an English model that is not on the package index (see STACK.md trap 9),
and the name-list packages on PyPI are either GPL (gender-guesser) or hundreds of MB (names-dataset).
The lists hold common given names of the English-, German-, French-, Spanish-, Italian-, Dutch- and
Portuguese-speaking world plus frequent South Asian, East Asian, Arabic and Slavic ones: enough for support
tickets, where names appear after cues ("my name is", "Regards,") or as "First Surname".
"""

from __future__ import annotations


def _words(block: str) -> frozenset[str]:
    return frozenset(block.split())


#: Given names that are not ordinary English words: a capitalised one alone is taken as a person.
FIRST_NAMES: frozenset[str] = _words(
    """
    Aaron Abdul Abigail Adam Adrian Adriana Agnes Ahmed Aidan Aiden Aisha Alan Albert Alberto Alejandro Alex
    Alexander Alexandra Alexis Alfred Ali Alice Alicia Alison Allison Alyssa Amanda Amelia Amir Amy Ana Andrea
    Andreas Andrew Andy Angela Angelica Anita Ann Anna Anne Annette Annie Anthony Antoine Antonio Anya Arjun
    Arthur Ashley Audrey Ava Barbara Beatrice Beatriz Ben Benjamin Bernard Beth Betty Beverly Bianca Bob Bobby
    Bonnie Brandon Brenda Brian Bridget Brittany Bruce Bruno Bryan Caitlin Caleb Camille Carl Carla Carlos
    Carmen Carol Caroline Carolyn Catherine Cecilia Charles Charlie Chen Cheryl Chloe Chris Christian Christina
    Christine Christopher Cindy Claire Clara Claudia Colin Connor Craig Cristina Cynthia Daniel Daniela Danielle
    Danny David Debbie Deborah Debra Denise Dennis Derek Diana Diane Diego Dimitri Dmitri Dominic Donald Donna
    Doris Dorothy Douglas Dylan Eduardo Edward Eileen Elaine Eleanor Elena Eli Elias Elif Elijah Elisa Elisabeth
    Eliza Elizabeth Ella Ellen Emily Emma Enrique Eric Erica Erik Erin Ethan Eugene Evelyn Fabian Farah Fatima
    Felix Fernando Fiona Francesca Francesco Francis Francisco Franz Frederick Gabriel Gabriela Gabrielle Gary
    George Gerald Gerhard Giovanni Giulia Giuseppe Gloria Gordon Greg Gregory Gustavo Hana Hannah Hans Harold
    Harry Hassan Heather Heidi Helen Helena Henry Hiroshi Hugo Hussein Ian Ibrahim Igor Ingrid Irene Isaac
    Isabel Isabella Isabelle Ivan Jacob Jacqueline Jake James Jamie Jan Jane Janet Janice Jasmine Jason Javier
    Jean Jeffrey Jennifer Jenny Jeremy Jerome Jerry Jessica Jesus Jill Joan Joanna Joe Joel Johan Johann Johannes
    John Johnny Jonathan Jorge Jose Joseph Josephine Joshua Joyce Juan Judith Judy Julia Julian Julie Juliette
    Jurgen Justin Kai Karen Karim Karin Karl Kate Katherine Kathleen Kathryn Kathy Katie Katrin Kayla Keith
    Kelly Ken Kenneth Kevin Khalid Kim Kimberly Klaus Kyle Laura Lauren Laurent Leah Lena Leo Leon Leonardo
    Leslie Liam Linda Lisa Logan Lorenzo Louis Louise Luca Lucas Lucia Lucy Luis Luisa Lukas Madeline Maria
    Mariana Marie Marilyn Marina Mario Marion Marisa Marta Martha Martin Mary Mateo Matteo Matthew Matthias
    Maureen Mehmet Megan Melanie Melissa Mia Michael Michaela Michel Michelle Miguel Mike Mohamed Mohammad
    Mohammed Monica Monika Muhammad Nadia Nancy Naomi Natalie Natasha Nathan Nicholas Nicola Nicolas Nicole
    Nikolai Nina Noah Nora Oliver Olivia Omar Oscar Pablo Pamela Paolo Patricia Patrick Paul Paula Pedro Peter
    Philip Philippe Pierre Pietro Priya Rachel Rahul Raj Rajesh Ralph Ramon Raphael Rebecca Regina Renee Ricardo
    Richard Rita Robert Roberto Roger Ronald Rosa Ryan Samantha Samuel Sandra Sanjay Sara Sarah Sean Sebastian
    Sergei Sergio Sharon Shirley Simon Simone Sofia Sophia Sophie Stefan Stefanie Stephanie Stephen Steve Steven
    Susan Suzanne Sven Sylvia Tamara Tanya Teresa Theresa Thomas Tiffany Timothy Tina Tobias Todd Tom Tommy
    Tony Tracy Tyler Ursula Valentina Valerie Vanessa Vera Veronica Victor Vincent Virginie Vivek Walter Wei
    Wendy William Wolfgang Xavier Yasmin Yuki Yusuf Zachary Zoe Zoey
    Ahmad Aleksandr Amit Ananya Anil Arun Deepak Fatma Ingrid Kenji Li Lin Liu Mei Ming Olga Pavel Ravi Sakura
    Sunil Svetlana Takeshi Vladimir Wang Yan Yang Ying Yuri Zhang Zhao Anders Astrid Bjorn Erika Lars Magnus
    Nils Sigrid Siobhan Aoife Ciara Niamh Sinead Declan Eamon Padraig Rhys Gareth Dafydd Hamish Callum Fraser
    Ewan Isla Ailsa Moira Morag Josefina Guadalupe Alejandra Camila Valeria Ximena Santiago Matias Joaquin
    Thiago Rodrigo Gonzalo Ines Ignacio Marcelo Fabio Andre Joao Goncalo Tiago Rui Afonso Leonor Beatrix Femke
    Sanne Daan Joost Pieter Wouter Bram Anouk Lotte Maud Jurgen Uwe Dieter Helmut Horst Manfred Rainer Sabine
    Ulrike Birgit Petra Jutta Dirk Sven Ines Heike Kerstin Nathalie Sylvie Isabeau Aurelie Celine Elodie
    Mathieu Thibault Guillaume Julien Sebastien Olivier Yannick Benoit Francois Helene Sandrine Valerie Giorgio
    Alessandro Alessandra Federica Chiara Elisabetta Marco Stefano Roberta Emanuele Davide Simona Sam Tim Ted
    Carol Lou Ahmet Emre Zeynep Ayse Fatih Burak Kemal
    """
) | _words(
    # West, East and Southern African, Arabic, Persian, South, East and Southeast Asian, Latin American,
    # Slavic and Irish given names (and accented spellings: "Jürgen", "Zoë", "José") that a recall review of
    # support tickets found leaking after weak cues ("Hi Kwame", "spoke with Tariq Mahmood").
    """
    Aarav Abdoulaye Abdullah Abebe Abena Achieng Adaeze Aditya Adwoa Agnieszka Agus Aisling Aissatou Akinyi
    Alexei Alexey Amara Amelie Amina Aminata Amélie Anastasia Andrei Andres Andrés Anjali Ankit Arash Arief Asif
    Ayesha Ayodele Babatunde Bilal Björn Bogdan Budi Catalina Cheikh Chidi Chidinma Chinedu Chloé Cian Ciaran
    Clémence Dawit Dewi Dinesh Divya Dmitry Dragan Ekaterina Emeka Eoin Fahad Faisal Farhan Farid Fatoumata
    Fernanda Folake Frederic Frédéric Funmilayo Ganesh Gonçalo Guilherme Gurpreet Hadi Halima Hamza Harpreet
    Haruka Haruto Hieu Hoang Huda Huong Hyun Hélène Ibrahima Ifeoma Imran Inés Ioana Ivana Jaspreet Jihoon
    Jimena Jisoo Jiwoo Joaquín José Jovana João Jérôme Jürgen Kamau Karthik Katarzyna Kavita Kavya Keiko Kerem
    Khadija Kofi Krzysztof Kwabena Kwame Lakshmi Layla Leila Lerato Leticia Letícia Linh Lucía Mahesh Mamadou
    Manish Manpreet Marek Mariam Maryam María Meera Mehdi Mekdes Mihai Mikhail Minh Minji Moussa Mustafa Nadeem
    Naoko Natalia Natalya Naveen Neha Ngozi Nikhil Nikola Nisha Njeri Nkechi Nomvula Noor Nour Noémie Nurul
    Obinna Oisin Oksana Oluwaseun Otieno Ousmane Parisa Phuong Piotr Pooja Praveen Putri Quang Rafael Ramesh
    Rami Rania Rashid Rekha Renata Reza Rizal Rohan Sachin Saeed Salma Sami Samir Sana Saoirse Satoshi Sebastián
    Segun Seojun Sergey Shirin Shreya Simran Sipho Siti Sneha Sofía Soren Sota Srinivas Stephane Stéphane Sunita
    Suresh Swati Søren Tariq Tatenda Temitope Tendai Thabo Thandiwe Thanh Thao Themba Tigist Tomasz Tuan Tunde
    Uchenna Usman Venkat Vikram Walid Wanjiku Wanjiru Wayan Wojciech Xiaoming Yasmine Yetunde Yifan Youssef
    Yulia Yuliya Yuto Zainab Zanele Ziad Zoltan Zoltán Zoë Zuzana
    Jana Rina Lenka Tereza Kateřina Lucie Sari Ayu Rizky Fitri Indah Wulan
    """
) | _words(
    # Given names written with letters beyond Latin-1 (Latin Extended-A/B and Additional): Polish, Czech,
    # Slovak, Romanian, Turkish, Baltic, South Slavic and Vietnamese spellings.
    """
    Łukasz Paweł Michał Małgorzata Stanisław Bartłomiej Przemysław Mirosław Radosław Jarosław Wiesław Zbigniew
    Grażyna Bożena Jadwiga Dorota Jiří Tomáš Lukáš Ondřej Matěj Vojtěch Zdeněk Přemysl Kateřina Lucie Tereza
    Zuzana Ľubomír Ľudmila Ľubica Miroslav Ștefan Ştefan Andreea Mădălina Răzvan Ionuț Ayşe Şükrü Gökhan Yiğit
    Çağla Gülşen Müge Barış Ümit Öznur Jānis Māris Rūta Dāvis Žaneta Miloš Dušan Đorđe Nikša Jelena Dragana
    Hương Thảo Dũng Tuấn Ngọc Hằng Trang Phương Quỳnh Thủy
    """
)

#: Family names written before the given names, the most frequent Vietnamese ones (about nine people in ten
#: bear one of them), with and without their diacritics ("Nguyễn Thị Hương", "Tran Van Minh"). Short ASCII
#: spellings that are words or other names ("Le", "Do", "Ho", "Vo", "Vu", "Ly") are left out.
SURNAMES_FIRST: frozenset[str] = _words(
    """
    Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Đinh Trương Lương Trịnh
    Nguyen Tran Pham Hoang Huynh Dang Bui Duong Dinh Truong Luong Trinh
    """
)

#: The most frequent Japanese family names, written before the given name in Japanese order ("Yamamoto Ayumi",
#: "SAITO Takeshi"): a name only when a known given name follows (several are brands or places too: "Suzuki
#: Swift", "Honda Civic").
JAPANESE_SURNAMES: frozenset[str] = _words(
    """
    Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida Yamada Sasaki Yamaguchi
    Matsumoto Inoue Kimura Hayashi Shimizu Yamazaki Mori Abe Ikeda Hashimoto Yamashita Ishikawa Nakajima Maeda
    Fujita Ogawa Goto Okada Hasegawa Murakami Kondo Ishii Saito Sakamoto Endo Aoki Fujii Nishimura Fukuda Ota Miura
    Fujiwara Okamoto Matsuda Nakagawa Honda Harada Ono Tamura Takeuchi Kaneko Wada Nakano Ishida Ueda Morita
    """
)


#: A letter of a name -> how it is typed without its diacritic where Unicode decomposition does not say ("Ł" has
#: no "L" + mark form): users type "Lukasz", "Malgorzata", "Jurgen", "Dang".
_FOLD = str.maketrans({"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "ı": "i", "Ø": "O", "ø": "o", "ß": "ss", "Æ": "Ae", "æ": "ae"})


def _ascii_forms(names: frozenset[str]) -> frozenset[str]:
    """``names`` plus each one typed without its diacritics ("Łukasz" -> "Lukasz", "Gökhan" -> "Gokhan")."""
    import unicodedata

    folded = {
        "".join(c for c in unicodedata.normalize("NFKD", name.translate(_FOLD)) if not unicodedata.combining(c))
        for name in names
        if not name.isascii()
    }
    return names | frozenset(f for f in folded if f.isascii() and f.isalpha())


FIRST_NAMES = _ascii_forms(
    FIRST_NAMES
    | _words(
        # more common given names of Ukraine, Sri Lanka, India, Iran, Thailand, Japan, the Nordics, Germany,
        # Greece, Israel, Brazil and Portugal, Kazakhstan, New Zealand (Māori), Bangladesh, Nigeria and China,
        # English short forms, and frequent US given names of the last sixty years; then (the last lines) those of
        # Finland, Turkey, Hungary, Romania, Czechia, Poland, the Low Countries, France, Spain and the Basque
        # Country, Italy, Ireland, Wales, West and Southern Africa, India, Mexico and Senegal
        """
        Olena Oleksandr Nimali Kavindu Dilshan Rohit Deepika Hamid Somchai Harpreet Gokhan Dmitri Aiko Hiroko Kenta
        Maximilian Mikael Mikkel Freja Aino Elina Oskar Viktor Anton Emil Matilda Ida Elsa Nico Lea Nikos Eleni
        Dimitris Shira Yael Noam Inês Tomás Mateus Enzo Aigerim Nursultan Aroha Tama Nusrat Farzana Kelechi Ngozi
        Xiaoling Jiahui Yiming Zihan Haoran Ruoxi
        Jon Dan Nate Pete Jim Jimmy Liz Meg Jen Jess Becky Vicky Dave Phil Rick Ron Larry Jeff Josh Zach Tess
        Dana Kristen Kristin Lindsay Lindsey Courtney Tara Brett Cody Dustin Travis Trevor Shane Wayne Marcus Darren
        Seth Kirk Brianna Kaitlyn Mackenzie Hailey Haley Brooke Paige Shelby Monique Lachlan Melinda Tonya Stacy
        Stacey Tracey Kristy Kristina Krista Jenna Jillian Tasha Latoya Keisha Jamal Tyrone Deshawn Darnell Terrence
        Cedric Marlon Jared Corey Casey Kelsey Whitney Lacey Kendra Kara Katrina Sabrina Bethany Garrett Colby Gavin
        Jaden Brayden Landon Colton Owen Wyatt Isaiah Josiah Nolan Avery Riley Peyton Skylar Addison Aubrey Kinsley
        Everly Elliot Emmett Beckett Rowan Silas Milo Theo Ezra Ryder Bryce Tristan Damian Jace Asher Élodie
        Alina Alyona Dariusz Ewa Grzegorz Jakub Kasia Magdalena Zofia Deniz Selin Oguz Hakan Chioma Adebayo Femi
        Bola Uche Gaurav Sandeep Jing Qiang Zhiwei Yuko Akira Samira Zaid Joana Luiz Larissa Bruna Vinicius Jeroen
        Maarten Ruud Eline Thijs Niels Koen Martina Silvia Alvaro Álvaro Raul Raúl Pilar Rocio Rocío Ainhoa Iker
        Nuria Núria Skyler Emerson Finley Hayden Kendall Reese
        Marieke Joris Sjoerd Abdulrahman Eitan Mairead Ciarán Fergus Oğuz Océane Théo Baptiste Venkatesh Meenakshi
        Allen Alma Alvin Aurélie Barry Bernice Bertha Billy Bradley Brent Calvin Carrie Cathy Christophe Clarence
        Clifford Clément Connie Curtis Céline Darlene Darrell Derrick Dolores Eddie Edith Edna Edwin Elsie Ernest
        Esther Ethel Eva Floyd Fred Geraldine Gilbert Gladys Glenn Herbert Herman Howard Inès Jeanette
        Jeanne Jeffery Jesse Joann Joanne Juanita Laurie Lawrence Leonard Leroy Lester Lewis Lillian Lois Loretta
        Lori Lorraine Lucille Léa Manon Manuel Margaret Marjorie Marvin Mathilde Maurice Maël Melvin Micheal Michele
        Mildred Norma Pauline Peggy Phillip Phyllis Randall Randy Raymond Rhonda Ricky Rodney Ronnie Roy Russell
        Scott Shawn Sheila Sherry Stéphanie Sébastien Tammy Thelma Theodore Thierry Valérie Vivian Wanda Wesley
        Willie Yolanda Yvonne
        Aileen Alfie Aoi Ayumi Bongani Brodie Bukola Cerys Chiamaka Clodagh Cormac Daichi Darcy Darragh
        Emilia Ffion Funmilayo Ifeanyi Imogen Itzel Jarrah Jayden Jonas Juliana Kiprono Kristine Kylie Lindiwe Margaux
        Misaki Mitchell Mylene Nekesa Nerea Nnamdi Noura Oisín Poppy Riaan Ronan Róisín Seamus Shauna Sienna Siobhán
        Svenja Tadhg Tahlia Wambui Yanis Yuna Zara Émilie Étienne Íñigo Özlem Haruto Sota Yuto Riku Hinata Mei Sakura
        Yui Rin Kaito Ren Minato Akari Hana Himari Yuina Takumi Kazuki Shota Naoki Ryota Tomoko Keiko Naomi Kumiko
        Niall Nomsa Corinne Deb Priyesh Thandeka Nandi Palesa Kagiso Tshepo Sibusiso Ayanda Mpho Naledi Vusi
        Busisiwe Khanyisile Olumide Funmi Kemi Dapo Wale Kunle Ayo Godwin Akua Efua Kojo Esi Odhiambo Kipchoge
        Cherono Jelimo Vivaan Ishaan Riya Rakesh Mukesh Vijay Ajay Arvind Manoj Pradeep Harish Girish Sita Gita
        Radha Padma Usha Asha Savita Pritha Priti Preeti Shweta Umar Ismail Saud Nasser Laila Amira Dina Reem Lina
        Xiaoli Takashi Akiko Daisuke Ryo Hina Kaori Minjun Jiho Jimin Seoyeon Jiyeon Hyunwoo Sungmin Eunji Soojin
        Haeun Marisol Inmaculada Itziar Aitor Unai Nuno Matheus Rafaela Alessia Jacques Geneviève
        Moritz Niklas Anke Anja Friederike Reto Urs Fleur Maartje Annelies Mads Henrik Helga Kari Liv Maja Elin
        Marcin Bartek Gosia Tatiana Irina Caoimhe Orla Eilidh Fionn Euan Mhairi Narelle Bronwyn Tamsin Ollie
        Archie Freddie Evie Harriet Lakisha Shaniqua Tanisha Aaliyah Imani Jalen Malik Dwayne Yolonda Hemi
        Wiremu Manaia Murat Emine Ece Priyanka Akash Aditi Ishita Tanvi Varun Karan Siddharth Yash Kunal Ritu
        Komal Payal Pallavi Shruti Kajal Geeta Naresh Ashok Vinod Prakash
        Frederik Johanna Okan Marlene Txema Gábor Eszter Zsófia Dóra Péter Sinéad Gráinne Mick Veera Timo Sanna
        Kostas Maribel Chantelle Rhiannon Bethan Ceri Siân Sian Ngaire Birgitta Willemijn Filipa Leandro Vittoria
        Roxana Vasile Evy Fatou Maxime Kelvin Rosalind Ellie Jaylen Lamar Marissa Conor Jodie Bev Priscila Tolu
        Marcos Jens Martín Sören Frida Linnea Wilma Alva Ebba Isak Filip Gustav Solveig Kristian Bjørn Torben Jesper
        Rasmus Mette Lene Pernille Camilla Tove Hanne Jussi Juha Mikko Antti Pekka Tuomas Janne Heikki Riikka Minna
        Katja Päivi Tiina Aleksi Eetu Onni Aada Eevi Helmi Hüseyin Hasan İbrahim Serkan Volkan Merve Esra Büşra
        Hatice Aylin Ebru Tuğba Canan László István József Ferenc Tamás Attila Balázs Csaba Katalin Erzsébet Ildikó
        Krisztina Anikó Judit Réka Nóra Levente Ádám Gheorghe Ioan Constantin Alexandru Florin Cristian Mihaela
        Raluca Oana Petr Josef Jaroslav Veronika Markéta Andrzej Mateusz Kamil Beata Aleksandra Justyna Georgios
        Giorgos Konstantinos Dimitrios Ioannis Yannis Panagiotis Christos Vasilis Nikolaos Despina Vasiliki Dimitra
        Athina Ioanna Eirini Stijn Lieke Fenna Marloes Saskia Ilse Florian Markus Günter Ralf Jörg Susanne Silke
        Leonie Lara Matthieu Romain Alexandre Amandine Adrián Rubén Iván Jaime Raquel Iñaki Xabier Koldo Gorka Mikel
        Leire Amaia Filipe Felipe André Catarina Priscilla Fábio Renato Federico Riccardo Giorgia Grainne Deirdre
        Eimear Pádraig Seán Colm Dermot Brendan Gethin Iwan Huw Owain Carys Nia Catrin Seren Eleri Angharad Kwaku
        Bayo Yemi Tolulope Nneka Thandi Lwazi Andile Mandla Nitin Anand Parvati Kayleigh Gemma Leanne Abbie Darius
        Tremaine Shanice Kiara Aliyah Yesenia Araceli Awa
        Gizem Zeynep Ayşegül Burak Emre Kerem Onur Tolga Uğur Pınar Sibel Özge Cansu Berk Ozan Osman Micaela Agustina
        Florencia Valentina Milagros Nahuel Facundo Matías Gonzalo Rodrigo Ximena Mariela Romina Daniela Tatiane Thiago
        Jéssica Fernanda Gabriela Letícia Gustavo Guilherme Cleide Rosângela Edson Sindre Eirik Håkon Sigrid
        Ingrid Torbjørn Kjetil Vegard Øystein Synnøve Marit Sangeeta Sunita Anjali Pooja Neha Sneha Rahul Amit Sanjay
        Suresh Ramesh Rajesh Deepak Nikhil Rohan Kavita Lakshmi Divya Swati Wanjiru Wanjiku Njeri Otieno Achieng Atieno
        Akinyi Rehema Juma Cosmin Bogdan Ionela Loredana Agus Hendra Wahyu Bambang Slamet Henryk Wojciech Krzysztof
        Agnieszka Katarzyna Petra Pavel Yossi Moshe
        Irena Éva Ágnes Zsuzsanna Tímea Márton Gergely Norbert Eliška Radek Pavol Juraj Bartosz Kacper Szymon Jacek
        Mariusz Cătălin Vlad Radu Sorin Dragoș Ragnhild Ingeborg Gunnar Øyvind Kasper Aila Eveliina Henna Jenni Noora
        Jukka Matti Petri Teemu Klara Fredrik Mattias Pontus Tetiana Iryna Kateryna Anastasiia Dmytro Andrii Serhii
        Volodymyr Mykola Yurii Bohdan Taras Vasyl Lourdes Jordi Arnau Xavi Óscar Maricel Rowena Jocelyn Marites Analyn
        Jomar Rodel Arnel Reynaldo Rogelio Ikechukwu Chukwuemeka Hanh
        """
    )
    # about 3,600 more given names of 57 locales (the English-speaking world with its short forms, Africa, Europe,
    # the Middle East, South and South-East Asia, East Asia romanised, the Pacific), written down for this list and
    # kept only where the lower-case word is no English dictionary word (GCIDE, through the english-words package)
    # and is rare as a word in English and twelve other languages (wordfreq Zipf frequency below 3.3 in English and
    # 3.8 in the others, or read one by one), nor where the name without its accents is such a word ("Sơn", "Réal"):
    # both packages were used once, offline, and are not dependencies
    | _words(
        """
        Aadan Aziz Aadhya Aaltje Aamina Aamir Aarati Aarne Aarti Aatu Aayush Abbas Abdallah Abdelaziz Abdelkader Abdellah
        Abdelrahman Abdi Abdiaziz Abdikarim Abdiqani Abdirahman Abdirashid Abdisa Abdisalam Abdiwali Abdiweli
        Abdulaziz Abdulkarim Abdullahi Abdulmalik Abeba Abeer Abel Abenaa Abhijith Abhishek Abimbola Abiodun Abirami
        Abubakar Adaora Adeel Aden Adenike Adeola Adewale Adham Adhiambo Adjeley Adjoa Adoley Adom Adriano Adéla Afia
        Afra Afshin Afua Agam Agata Agathe Agnese Agneta Agnès Agnė Agustín Agyeiwaa Ahsan Aicha Aida Aigars
        Aikaterini Ailani Ailbhe Aili Aiman Aina Ainslie Aishah Aishwarya Aistė Aivar Aivars Ajith Ajla Akanisi Akhil
        Akhona Akos Akosua Akoth Aksel Akwasi Alaa Alamgir Alasdair Alastair Alaw Albena Alberte Albin Aldo Aled
        Aleena Aleksandar Aleksander Aleksey Alemu Alena Alessio Alexandros Aleš Alf Alfredo Algirdas Alhassan Alia
        Aliaa Alicja Alireza Alisa Alishba Alistair Aliyu Aljaž Allira Almir Almudena Alofa Alois Alok Alon Alparslan
        Alun Alya Alžbeta Amaka Amanuel Amarjeet Ambre Aminu Amirhossein Amiria Amjad Amna Amparo Amr Amra Anab
        Anahera Anaru Anass Anastasios Anastasiya Anatoliy Anatoly Anaïs Anbu Anca Andreia Andressa Andrey Andries
        Andris Andrius Andriy Androniki András Aneliya Angeliki Angelos Ania Anika Anir Anish Anitha Anjana
        Anjaneyulu Anju Annalena Annamaria Annegret Anneli Annelie Anneliese Annemarie Annemie Annika Anoma Anoop
        Anri Antigoni Antje Antonella Antoni Antonia Antonietta Antonija Antonios Antonis Antonín António Antônia
        Antônio Anucha Anum Anusha Anwar Anwen Anyango Anže Aodhán Aoibhinn Aom Aonghas Aparecida Aparna Apichat
        Apisai Apolline Apostolos Aqsa Arantxa Araya Archana Arda Ardeshir Areeba Areej Ariadni Ariane Arianna Arif
        Ariki Arina Arivazhagan Arjen Arkady Armando Arnab Arnaud Arnav Arne Arnob Arnold Aron Arsen Arseny Artem
        Arthit Arto Artur Arturo Artyom Artūrs Arunee Arvid Arvīds Arwa Arūnas Asabe Asad Asaf Asahi Asanda Asanka
        Asantewaa Asel Asen Asfaw Asger Ashan Ashling Ashraf Ashwin Asier Aslı Asma Asmaa Asmae Asmita Assunta Asta
        Asuka Aswathy Ataahua Atanas Ateca Atefeh Athanasios Athira Athumani Atif Atli Audun Auma Aurel Aurore
        Austėja Auður Avital Aviv Avraham Awen Awhina Awino Axmed Ayaan Ayaka Ayan Ayanna Ayelet Ayman Ayomide Ayoub
        Azadeh Azar Azeb Azizah Azlan Azra Babak Babar Babis Babs Badr Bahram Baiba Bakari Balaji Balqis Baltasar
        Balwinder Barak Baran Barasa Barbora Barnabás Basavaraj Bashayer Bashir Basia Basma Bassam Batya Baudouin
        Bautista Bazza Bedwyr Beena Begoña Behnam Behrouz Bekele Belinda Benedek Benedetta Benedita Beng Bengt
        Benjamas Benjamín Benjie Benoît Bente Berhanu Berit Bernardo Bernd Bert Berwyn Beto Betsan Bezawit Bhavani
        Bheki Bhim Bijan Biju Bikash Bikram Bilisuma Biljana Bilkisu Bilyana Bimala Bindu Biniam Binita Binod Binoy
        Binta Birgitte Birkir Birna Birta Birtukan Birutė Bishnu Bishoy Bisi Biswajit Bjarne Bjarni Björk Bjørg
        Blagoy Blair Blanka Blaž Bláthnaid Boatemaa Boaz Bodhi Bogdana Boglárka Bohdana Bohumil Bohuslav Boitumelo
        Bolanle Bong Bongbong Boonmee Boontu Borbála Boris Borislav Borja Borna Boryana Botond Boyan Bozhidar Boštjan
        Božena Brahim Branislav Branka Branko Branwen Brayan Brigid Brigitte Bristi Bronagh Bronwen Bryndís
        Brynjar Bríd Buboy Budoor Burcu Busaba Buse Bushra Byungho Bálint Bárbara Béatrice Béla Bénédicte Bảo Caasha
        Cabdi Caio Caitríona Calum Camilo Candice Caoimhín Caradog Carli Carlota Carmela Carole Carwyn Caryl Caterina
        Cathal Catriona Catrìona Cauã Cecilie Cecília Ceren Cezara Chaewon Chaeyoung Chaim Chaima Chaitanya Chaiwat
        Chala Chalerm Chaltu Chamara Chamari Chaminda Chana Chanchai Chandrika Changmin Chanida Chantal Chao
        Charalampos Charbel Charith Charl Charmaine Chatchai Chathura Chathurika Chelimo Chema Chepkoech Cheruiyot
        Chibuike Chigozie Chihiro Chimamanda Chinonso Chinwe Chinyere Chona Christa Christiaan Christiane Chrysoula
        Chuan Chucho Chulsoo Chutima Châu Cillian Ciro Citlali Claudiu Clive Cláudia Cláudio Cléber Clíona Colette
        Conall Conceição Concepción Concetta Conchi Constança Consuelo Coralie Corazon Corina Cornelia Cornelis Cory
        Costel Costin Crina Cristiane Csenge Csilla Cuauhtémoc Cumar Cusmaan Cynan Czesław Cédric Cường Daahir
        Dagmar Dagný Dahir Dahyun Daiga Daiki Dainis Daithí Dalal Dalia Dalila Dami Damilola Damir Damla Danai Danh
        Danial Daniele Danijela Danilo Danni Dante Danuta Danutė Danylo Daníel Dariush Darshan Darya Daryna Dasha
        Dasun Davi Davie Davina Davor Davíð Dawa Dawid Dayana Dayo Daz Dazza DeAndre DeShawn Dearbhla Debashish Dedi
        Deepa Deeqa Defne Deiniol Dejan Delali Delia Delwar Delyth Demetrius Demiana Denisa Denitsa Denys Deon Dereje
        Desislava Dewald Dezső Dhruv Diah Diarmuid Didier Dihya Dilani Dilek Dilip Dilrukshi Dilys Dima Dimitar
        Dimitrinka Dimuth Dindo Dineo Dinis Dinkinesh Dinuka Dinusha Diogo Dipa Dipendra Divina Diya Diễm Djamel
        Djamila Doaa Dodong Dohyun Doina Doireann Domenico Domhnall Domingos Dominik Dominika Dominykas Donatella
        Dondon Donghyun Dongwook Donnacha Dorcas Dorothée Dorthe Doru Dougie Doyun Dražen Dries Driss Duangjai Duarte
        Dudi Dufie Dugald Dulani Dumitru Duncan Dvora Dwi Dzifa Dániel Dávid Débora Dónal Ealasaid Eamonn Eason
        Ebenezer Ebere Ebo Ebrahim Ebuka Ecaterina Ecrin Edem Edgars Edoardo Eduard Edyta Eemeli Eeva Efa Effie Efrat
        Efraín Efren Efstathia Eftychia Egill Eglė Egor Eha Ehab Ehud Eid Einar Einat Eino Eirian Eirlys Eithne
        Eivind Ekow Ekua Elad Eleftherios Elfed Elham Eliane Eliise Elikem Elinam Elis Elisabet Elisabeta Eliyahu
        Elmarie Elna Elpida Els Elsabé Elspeth Eluned Elías Elín Elīna Elżbieta Ema Emad Eman Embla Emel Emelie Emer
        Emese Emi Emiliano Emilija Emilía Emina Emlyn Emmanouil Emyr Enamul Encarnación Enda Endang Enes Enfys Engy
        Enikő Enni Enrico Enyonam Eoghan Epeli Ephrem Eren Erez Erkan Erkki Erla Ermias Ernesto Ernő Erwin Esinam
        Eskinder Esma Espen Essam Essi Esteban Etelka Etenesh Etornam Ettore Eunbi Eunjung Eunyoung Euphemia
        Evangelia Evangeline Evangelos Evgeny Evi Eyal Eylül Eyob Eyþór Faadumo Fabienne Fabiola Fadi Fadumo Fah
        Faiza Faizal Fanni Faraja Farhad Farhiya Fariba Farida Farshid Fartun Faruk Farzaneh Fatema Fatemeh Fatiha
        Fatin Fausto Fawad Fawaz Faysal Fazlul Fedir Fei Feleti Felicia Ferdia Ferdinand Fereshteh Fergal Fernand
        Fetu Feven Feyisara Fiachra Fiadh Fiafia Fiifi Fikru Filippo Filiz Filmon Filomena Finlay Fintan Fionnuala
        Firas Fitriani Fiza Flemming Florentina Florica Floris Flávio Folasade Foteini Fouad Fran Franca Francine
        Francisca Franciszek František Franziska Françoise Frederico Frehiwot Freyja Frieda Frikkie Friðrik Furaha
        Furkan Fuseini Fyodor Fátima Félix Gabija Gabriele Gabriella Gadija Gadisa Galin Galina Galit Gamal Gamini
        Gamze Ganga Garba Gaspar Gauthier Gayani Gayathri Gaétan Gaël Gbenga Gearóid Gebre Gebremedhin Gebreyesus
        Gediminas Geert Geertruida Geetha Geir Gemechu Gennady Gennaro Genowefa Geoff Georgi Georgiana Georgie
        Geraint Geraldo Gergana Gergő Gerrit Gert Gertrud Getachew Ghada Ghala Ghanim Ghassan Ghina Ghislain Ghizlane
        Giancarlo Gianfranco Giang Gianluca Gianni Giannis Giedrius Gifty Gijs Gilad Gilang Giles Ginette Ginevra
        Gintarė Gints Giovanna Girgis Girlie Girma Gisela Gisele Gisèle Gitau Githinji Gitte Giuseppina Gizella
        Glenys Glória Godelieve Golam Golnar Golnaz Goodluck Gopal Gopika Goran Gordana Graciela Graziella Graça
        Greer Gregor Greta Grethe Griet Grietje Grigorios Grigory Gruffudd Gruffydd Grégory Grétar Guilan Guiying
        Guled Gunilla Gunn Gunta Guntis Guoqiang Guro Guto Guðmundur Guðni Guðný Guðrún Gwen Gwenllian Gwenno Gwilym
        Gwion Gwladys Gwyn Gwyneth Gyanendra Gyula György Gérard Géza Gísli Göran Gülsüm Habib Habiba Habtamu Hadas
        Hadiza Hafiz Hafsa Hafsat Hagar Hager Haider Haile Hailu Hajar Hajnalka Hajun Halil Halina Halldór Halvard
        Halyna Hamad Hamdan Hamdi Hamdy Hamed Hamisi Hanan Hanane Handayani Hande Haneen Hanieh Hanife Hanlie Hannes
        Hannu Hansika Hansjörg Hany Haoxuan Haoyu Harald Haraldur Haris Hariz Harri Harsha Harshani Haruki Haruna
        Hasina Hasitha Hassani Hauwa Hawa Hawi Hayfa Hayley Hayoon Hazem Haziq Hazza Heba Hedd Hedda Hege Heiko
        Heilala Heimir Heitor Heiða Hekla Heledd Helgi Helle Heloísa Hend Hendrik Hendrika Henk Hennie Henok Henrique
        Hervé Hesham Hessa Hiba Hibo Hicham Hidde Hideki Hila Hilde Hildegard Hildur Hilkka Hilmar Himali Hinano
        Hinda Hinemoa Hira Hiroki Hirsi Hiruni Hirut Hisham Hiwot Hiếu Hiền Hiển Hlynur Hoda Hodan Hodaya Hohepa
        Holger Honeylyn Honza Hooman Horia Hossam Hossein Houda Houshang Hoài Hoàng Hrefna Hridoy Hristina Hristo
        Hrvoje Hryhoriy Hubert Huguette Huia Hulda Huma Humaid Hussain Huy Huyền Hyejin Hyeri Hyunjoo Hyunjun Hywel
        Hào Håkan Héctor Hélder Hòa Hörður Hülya Hēmi Hōhepa Hạnh Hậu Iain Ianto Iara Ibado Ibukun Ichiro Idil Idir
        Idoia Idowu Idris Idrisa Iestyn Ieuan Ieva Ifan Ifeoluwa Ifrah Iftu Ihaia Ihor Iida Ikaika Ikenna Ikhwan
        Ikram Ikran Ilakkiya Ilana Ilango Ilaria Ileana Ilhan Ilias Ilinca Ilkka Illia Ilona Ilya Ilyas Ilze Imad
        Imane Imelda Immacolata Imre Inbal Inday Indira Indrek Indrė Ineke Inese Inga Inge Ingela Inger Ingibjörg
        Ingvild Ingólfur Inkeri Inna Innes Inoka Inoke Ioane Iolo Iosefa Iqra Iresha Irfan Iria Irini Irja Irmgard
        Irén Isabela Isaias Isamu Isha Ishara Ishbel Ishwori Isidro Isikeli Isireli Islwyn Ismaaciil Isoa Isobel Issa
        Issah Isuru Itai Itsuki Itzik Iulia Iulian Iva Ivanka Ivanna Ivar Ivaylo Iwona Iyabo Izabela Izzati Jaan
        Jabari Jabulani Jac Jacinta Jackie Jaco Jacopo Jad Jada Jaehyun Jaewon Jahangir Jakob Jakov Jama Jamar Jamil
        Jamila Jamshid Jamuna Janae Janaka Janelle Janez Janina Janka Jannatul Jannik Janusz Jaqueline Jarlath
        Jarmila Jaroslava Jarrod Jasmin Jasna Jassim Javad Javeria Javon Jawad Jawaher Jayanthi Jayson Jeanie Jedda
        Jef Jeferson Jelle Jennylyn Jenő Jepchirchir Jepkosgei Jeppe Jeptoo Jermaine Jerzy Jesmin Jessie Jesús Jett
        Jette Jez Jhon Jhonatan Jhun Jiahao Jianguo Jianhua Jianjun Jiaqi Jiayi Jide Jie Jieun Jihye Jijo Jincy
        Jingjing Jintana Jinty Jinwoo Jiraporn Jirka Jiro Jisung Jithin Jitka Jiwon Jiyu Joaquim Jocelyne Johanne
        Jolanta Jolien Jone Jongmin Jonna Jonny Joonas Joop Jorma Josefa Josefine Josiane Josip Josée Joud Joya Jozef
        Jože Juana Juho Julián Jumanne Junaid Jungkook Jungsook Juninho Junjie Junko Junseo Junu Jure Jurek Jurgita
        Juris Jussara Justinas Justine Juwon Jyoti Jyrki Ján János Jázmin Jérémie Jóhann Jóhanna Jón Jóna Józef
        Jökull Jørgen Júlia Júlio Jürg Kaan Kaarina Kabelo Kabir Kabita Kadek Kadri Kafui Kahu Kahurangi Kaia Kaija
        Kaimana Kainoa Kaisa Kaja Kajus Kakra Kalaivani Kalani Kalena Kalevi Kalina Kalinda Kalle Kalliopi Kalolaine
        Kaloyan Kalpana Kaltun Kamal Kamalei Kamarul Kamel Kamila Kamilė Kamolwan Kamran Kanchana Kannika Kanokwan
        Kanya Kanyarat Karabo Karel Karima Karina Karine Kariuki Karla Karlien Karolina Karthikeyan Kassahun Kasun
        Katarina Katarína Katharina Kathir Katlego Katrien Katrín Katya Kaushalya Kauã Kaveh Kavinda Kavitha Kawsar
        Kawtar Kayode Kazimierz Kazuko Kazuo Keanu Kebede Keegan Keerthana Keerthi Kees Kehinde Keita Kekeli Kelera
        Kenan Kendrick Kenechukwu Kenichi Kenna Kenny Kenza Keoni Kerrie Kershnee Keshawn Ketut Kev Keyshawn Khadar
        Khadra Khairul Khaled Khaleda Khalifa Khalil Khang Khoa Khrystyna Khurram Khushi Khánh Kiah Kian Kibet Kidane
        Kidist Kieran Killian Kimani Kimmo Kimo Kinga Kioko Kipkemboi Kiplagat Kiprotich Kiran Kiril Kirill Kirra
        Kirsi Kirsteen Kirsten Kirstie Kirstin Kirsty Kitti Kittipong Kittisak Kiên Kiệt Kjartan Kjell Klaas Klaudia
        Klára Knut Koa Kobby Kobi Kobina Kobus Koharu Kohei Kolya Komang Konadu Konstantin Konstantina Koos Korkor
        Kostiantyn Kosuke Kourosh Krasimir Krasimira Kremena Krešimir Kristiina Kristjan Kristján Kristoffer Kristín
        Kristóf Kristýna Kristīne Krisztián Krit Krišjānis Krystian Krystyna Ksenia Kseniya Ksyusha Kuba Kulap Kumara
        Kumari Kumudini Kurniawati Kusal Kwabla Kwadwo Kwamena Kwan Kwangsoo Kwasi Kweku Kwesi Kyoko Kyriaki Kyriakos
        Kyrillos Kyunghee Kyungsoo Kálmán Károly Kübra Kārlis Kęstutis LaShawn Lachezar Lachie Ladan Laddawan Ladi
        Ladislav Laetitia Lahcen Lahiru Laia Laiba Laith Lajos Lakeisha Laleh Lalith Lamai Lamija Lamya Lana Laoise
        Larisa Larysa Lasantha Lashonda Latasha Latifa Lauma Laurence Laurențiu Lauri Laurier Lautaro Lavanya Lawal
        Laxmi Layan Lebogang Leela Leen Leena Lefteris Leif Leilani Lejla Lelisa Lemlem Lennart Leonora Leopold
        Lesedi Lesia Lesieli Lesley Lesya Leszek Levent Levko Leyla Lhakpa Lhamu Liat Liban Libor Libuše Liene
        Liesbeth Liesel Liezel Liezl Lihi Liis Liisa Lili Liliana Lilja Limor Linnéa Linus Lior Lipi Lise Lisiate
        Litia Liton Liudmyla Liviu Liya Liyana Lizelle Ljiljana Lleucu Llinos Llywelyn Llŷr Logi Lokelani Lokesh Lola
        Lorcan Lorella Lorena Lorna Losa Losaline Losana Lottie Loubna Lourenço Lovisa Lowri Loïc Luana Luboš Lucian
        Luciana Luciano Lucien Lucija Ludovica Ludvig Lujain Lulama Lulwa Luminița Lungile Lupe Lupita Lurdes Luseane
        Luuk Luwam Luzviminda Luís Luísa Lyes Lyosha Lyubomir Lyubov Lyudmila Léna Léo Lívia Lúcia Lăcrămioara Lộc
        Maarit Maarja Maayan Mabli Mabon Macharia Maciej Macsen Madalena Madeleine Madhavan Madhavi Madog Mafalda
        Magda Magdalini Magdolna Magdy Maggie Magnús Mahad Mahamud Mahbub Mahela Mahfuz Mahina Mahinda Mahira Mahlet
        Mahmoud Mahmud Mahmut Mahnaz Mahnoor Mahra Mahsa Mahtab Maika Maina Mair Mairi Mairéad Maisie Maite Maitha
        Maitê Majd Majid Makafui Makoa Makokha Makoto Maksim Maksym Maktoum Malak Malakai Malathi Malcolm Malee
        Malene Malia Malika Malin Malini Mallikarjun Malte Malthe Mamta Mamun Manaaki Manal Mandy Manisha Manju
        Manjunath Manny Manoel Manolis Manori Mansoor Mansour Mantas Manuela Marama Marcel Marcell Marelize Maren
        Margareta Margaretha Margarida Margarita Margherita Margit Margo Margrét Margus Mariama Mariangela Marianna
        Marianne Maricela Marietjie Marija Mariko Marilou Mariska Marius Marivic Mariya Marián Marja Marjan Marjatta
        Marjolein Markku Marko Marsaili Martijn Martim Martine Martyna Marwa Marwan Maryan Masahiro Masako Masato
        Masha Mashael Masoud Masoumeh Massimo Massinissa Masud Matas Matei Mateja Mathias Mathilda Mathis Matilde
        Matiu Matjaž Mattia Matvey Matviy Matúš Maude Mauricio Maurizio Mawuli Mawunyo Maxamed Maximiliano Mayumi
        Mazen Maëlle Maïka Mbali Medhat Meena Mees Megumi Mehari Mehran Mehreen Mehri Mehwish Meinir Meir Meirion
        Mekonnen Meleri Melike Memunatu Menachem Mengqi Menna Mennatallah Merav Merche Mereana Mereani Merel Mereoni
        Mererid Meriem Merike Merima Meritxell Merja Meron Merryn Meryem Mesake Meseret Mesfin Meshari Meti Michail
        Michalis Michiko Mieke Miha Mihail Mihi Mihkel Miho Mihret Mihály Mijin Mikaele Mikayla Miklós Mikyung Milana
        Milda Milena Milica Milla Millie Milon Mindaugas Mingma Mingyu Minseo Mircea Mireia Miriam Miriama Mirjam
        Mirjana Mirna Miroslava Miruna Misha Mishal Miyu Mizanur Moana Mogamat Mohab Mohammadreza Mohamud Mohan Mohd
        Mohit Mohsen Mohsin Mojca Mojisola Momchil Momoka Moncef Monir Montse Morenike Morné Morten Morteza Morven
        Mosese Mostafa Moti Mouloud Moumita Mounia Mounika Mourad Mousumi Moza Mozah Mubarak Mudassar Mueni Mugo
        Muireann Mukhtar Mukta Mulu Mulugeta Munir Munira Murdo Murugan Musaed Mushfiq Mussie Mustapha Musyoka
        Muthoni Muthu Mutlaq Mutua Mwajuma Mwanahawa Mwanaidi Mwanaisha Mwangi Mwikali Mwinyi Myfanwy Mykhailo Myra
        Myroslava Myrto Myungsoo Myungsook Mzwandile Máire Márcia Márcio Mária Mário Márk Méabh Mégane Mélanie
        Mícheál Mónica Mónika Naa Naama Nabil Nabila Nabin Nadav Nadeeka Nadeesha Nadezhda Nadine Nadiya Nafisa
        Nafula Nagaraj Nagwa Nahom Naila Naima Najla Najma Najwa Nalin Namjoon Nanami Nandini Nanise Nanjala Nansi
        Nantana Naoise Naoto Napaporn Narayan Narges Narong Nasiru Nasra Nasreen Nasrin Nastya Nataliya Natalka
        Nataša Natnael Natsuki Nattapong Nattaya Natália Natálie Naveed Navid Nawaf Nawal Nayeem Nayef Nayeli Nayeon
        Nazanin Nazma Nazri Nazrul Ndinda Ndungu Neda Negar Negash Nehir Neil Nejc Nektarios Nele Neli Nelli Nenad
        Neneng Neringa Nermeen Nermin Nermina Nerys Nesma Nessa Neta Neus Nevena Nga Ngaio Nghĩa Ngima Ngugi Ngân
        Ngārie Nhi Nhlanhla Nhung Nhyira Nhàn Nhân Như Niccolò Nicky Nicolae Nicoleta Nicolás Nige Nigel Nighat Nii
        Nika Nikau Niki Nikki Nikolay Nikolett Nikolina Nilmini Niloufar Niluka Nima Nimal Nimco Nimmy Ninoy Nir
        Nirmala Nirosha Nishantha Nisreen Nisrine Nithya Niwat Niyi Nizar Njambi Njoroge Nkiruka Nkosinathi Noa
        Noboru Noelani Noelia Noemi Noha Nohea Nok Nokuthula Noman Nomthandazo Nonoy Nonso Noraini Nordine Norhayati
        Noriko Normand Nosipho Noud Nouf Noureddine Nourhan Novi Noynoy Nozomi Nuala Nunzia Nunzio Nupur Nurcan Nuru
        Nuur Nuwan Nyambura Nyamekye Nyawira Nyokabi Nyoman Nélson Nīkau Oanh Obaid Obed Obiora Obsa Ochieng Octavio
        Odai Odete Odhrán Odile Ofa Ofir Ogechi Ohemaa Ojārs Okja Okoth Oksanka Olamide Olaniyi Olav Oldřich Oleg
        Oleksandra Oleksiy Olha Olivér Oliwia Olli Olof Oluchi Oluwatobi Olwen Olya Omari Omid Omondi Onyango Onyeka
        Oona Opeyemi Orathai Oren Orest Orhan Orlaith Orly Ornella Orpa Orsolya Ortal Osama Osamu Oshadi Osian Osnat
        Ostap Othmane Ouarda Ouma Oumaima Outi Ovidiu Owino Pabitra Padmavathi Pairoj Palani Palle Panagiota Pancho
        Pania Pankaj Panos Panya Panyin Paola Paora Papia Paraskevi Parsa Partha Parvathy Parveen Parvin Pasquale
        Patcharee Patrik Patrizia Patrycja Patryk Patrícia Paulina Paulius Pavithra Pavla Pavlo Pavlos Payam Peadar
        Peeter Pegah Peigi Pema Pemba Pendo Penisimani Penka Pepa Pepe Peredur Pernilla Pertti Petro Petronella
        Petros Petru Petya Peyman Philipp Phindile Phong Phongsakorn Phurba Phát Phúc Pierluigi Piero Pierrette Pihla
        Pille Pim Pimchanok Pimpaka Piret Pirjo Pirkko Piroska Piumi Plamen Poerava Pokua Polina Polona Pongsak
        Poonam Popi Popy Pornthip Poul Pouya Povilas Prabhu Prabin Pradip Pranee Prasad Prasanna Prasert Prasit
        Pratima Prativa Pravallika Prayut Preben Priit Primož Proinsias Prys Puja Puneeth Pushpa Puspita Putu Pyotr
        Páll Pétur Pēteris Qamar Qasim Qistina Quentin Quim Quique Qusai Quân Rabeya Rabia Rabih Rabin Rachid Rachida
        Radka Radoslav Radwa Raelene Rafał Raffaele Raffaella Rafi Rafiq Raghavan Raghavendra Ragini Ragnar
        Ragnheiður Rahayu Rahel Rahim Rahma Raimo Raimonds Raimunda Raimundo Raisa Rajeev Rajendra Rajkumar Raju
        Rakan Rakib Ralitsa Ramadhani Ramana Ramazan Ramin Ramiro Ramón Randa Randi Rangi Ranil Ranjani Rannveig
        Raphaël Rareș Rasha Rashad Rashed Rashidi Rashmi Rasika Rastislav Ratchanok Ratih Rattana Rawan Rawiri Rayan
        Rayane Razak Razan Raíssa Redouane Reema Reet Refilwe Reginald Regula Reham Rehan Rehana Reinaldo Remedios
        Remya René Reshma Retha Reut Revathi Rewi Reyansh Rhian Rhoda Rhodri Rhona Rhun Rhydian Riana Rifat Rigoberto
        Rihards Riitta Rik Rikke Rimantas Risto Rivaldo Rivka Riyaad Rizwan Robbie Robel Rocco Rodica Roel Rogério
        Rohani Rojina Rokas Rokeya Roksana Roksolana Rolando Rolf Romane Romi Ronel Roni Ronja Ronke Roopa Ropata
        Rosaire Rosalie Rosaria Roshan Rosie Rositsa Rosário Roula Roya Rozália Ruairidh Ruairí Ruan Ruaraidh Ruaridh
        Ruba Rubel Rudi Rukayya Rukhsana Rupa Rupert Ruqayya Ruqayyah Ruqiya Ruslan Rutger Ruwan Ryosuke Ryszard
        Réjean Ríona Róbert Rónán Rāwiri Saad Saanvi Saar Saba Sabbir Sabina Sabita Sacdiya Sachiko Sachini Sachintha
        Sadbh Sadhbh Sadia Safiya Sagal Sagar Sahra Saida Saif Saiful Saima Saimoni Sajeev Sajid Sajith Sakchai Sakib
        Sakineh Salamasina Salamatu Salih Salim Salka Salmah Salman Salote Samah Samanthi Samar Sameh Samer Samina
        Samisoni Samjhana Sampath Samrawit Sanaa Sanath Sandro Sandun Sanduni Sandya Sangeetha Sanghoon Sangita
        Sangwoo Sanita Sanja Sanjida Santino Santosh Saowalak Sapana Sapir Saranya Saravanan Sarawut Sarel Sarita
        Saroj Sasha Sashko Sasithorn Satsuki Satu Satyanarayana Saulius Saurabh Savitha Sayed Schalk Sebastião Seda
        Seema Sefa Sefo Sehrish Seif Seifu Seini Sekhar Selamawit Selasi Selemani Selim Selma Selvam Selvi Semhar
        Semisi Semyon Senad Senait Senan Senga Senthil Senyo Seohyun Seokjin Seonag Seonaid Seoyun Sepideh Sepp Seppo
        Septi Serhiy Serwaa Seryozha Setareh Seulgi Seumas Seun Seungho Sewwandi Shabani Shabnam Shadi Shafiq Shahad
        Shahd Shahid Shahla Shahnaz Shahram Shahrul Shahzad Shai Shaikha Shaimaa Shakil Shalini Shamim Shamma Shani
        Shanika Shanmugam Shanthi Shanti Shapla Shaquille Sharif Sharmarke Sharmin Sharni Shashikala Shathi Shaun
        Shaz Shazia Sheeba Sheena Shehani Shehu Sheikha Shenouda Sheree Sherine Sheryl Shibu Shigeru Shihan Shila
        Shinji Shireen Shiva Shivakumar Shivansh Shlomo Sho Shoaib Shona Shonagh Shonda Shoshana Shova Shraboni Shu
        Shuang Shukri Shuvo Shwetha Shyam Siaosi Siavash Siciid Sidra Siem Sigal Signe Sigríður Sigrún Sigurd
        Sigurður Siham Siim Siiri Sikudhani Silia Silje Silviu Silviya Simeon Simin Simphiwe Simão Sindhu Sindisiwe
        Sindri Sione Sioned Siosaia Siriporn Sirirat Sirisha Siriwan Sirje Sirpa Sitiveni Siv Sivakumar Siwoo
        Siyabonga Sizwe Siôn Sjaak Slađana Slimane Slobodan Smail Smaranda Snezhana Snježana Snorri Soad Sobia
        Socorro Sofea Sofiane Sofie Sofiya Soha Sohail Soheila Sohel Solange Solomiya Solène Sombat Somboon Somkiat
        Sompong Somporn Somsak Somsri Somtochukwu Somying Sonam Songül Sonia Sonja Soonja Soraya Sorcha Soroush
        Sosefo Sotirios Sotiris Souad Soukaina Soumya Sourav Sowmya Soyeon Spyridon Spyros Sravani Sravya Sreejith
        Sreelakshmi Sreenath Srijana Srikanth Srinivasan Sruthi Stanislav Stanisława Stanka Staszek Stav Stavros
        Stavroula Stefania Steffan Stefán Steinar Steinunn Stelios Stepan Steph Stephanus Stine Stjepan Stoyan
        Strahil Struan Stuart Stylianos Subbarao Subira Subrata Sucaad Suchart Sudarat Sugeng Suha Suhaila Sujan
        Sujata Sujin Sujon Sukanya Sukhwinder Sumaira Sumaiya Sumalatha Suman Sumaya Sumon Sundar Sunethra Sunette
        Sunghoon Sunhee Sunisa Sunniva Sunthorn Supachai Supaporn Supriyadi Surachai Suranga Surasak Susana Sushma
        Susmita Sutrisno Suwanna Svala Svein Sveinn Sverre Sveta Svetla Svetoslav Svitlana Swathi Syafiq Syazwani
        Sylvain Sylwia Szabolcs Szilvia Sándor Sævar Séamus Sérgio Sólveig Sónia Sônia Sławomir Taahir Taavi Tadas
        Tadej Tadesse Tadeusz Taehyung Taeyang Tahar Tahereh Tahira Tahmina Taimur Tainá Taiwo Talal Talha Talia
        Tamar Tamatea Tamati Tameka Tamika Tamilselvan Tamilselvi Tamim Tanel Tania Tanja Tanvir Tapani Tapio Taraneh
        Tarek Tareq Tarik Tarja Tarni Tarryn Tarun Tarık Tash Tasi Taslima Tasnia Tasnim Tasos Tassanee Tatsuya
        Tatyana Tavita Tayla Tebogo Teerapat Tegan Tegid Tehani Tehila Teiva Tejaswini Tekle Teklu Tenzing Teodora
        Teresita Terhi Terje Terrell Terézia Tesfalem Tesfaye Tesni Tetsuya Teun Teva Tevita Tewodros Thanakorn
        Thanasis Thanawat Thani Tharaka Tharindu Tharushi Thato Thawatchai Thaís Thenmozhi Theodora Theodoros Therese
        Theuns Thibaut Thidarat Thilini Thisara Thiziri Thiện Thodoris Thulani Thành Thérèse Thúy Thắng Thịnh Tiaan
        Tian Tianyi Tiare Tiberiu Tibor Tiernan Tihomir Tiit Tijana Tijmen Tilahun Timoci Timofey Tineke Tingting
        Tinhinane Tipene Tiril Tirion Tirunesh Tithi Titilayo Tjaša Tobi Tochukwu Todor Todorka Tolosa Tomasi Tomek
        Tomer Tomislav Tommaso Tomos Tomoya Toomas Torbjörn Torika Torill Torquil Torstein Torsten Toshio Totoy
        Toufic Toula Tova Toyin Toàn Traian Trayvon Treasa Triana Triin Trijntje Trinh Trish Troels Trond Trung
        Trystan Tsegaye Tsehay Tsige Tsion Tsubasa Tsumugi Tsvetan Tsvetelina Tsvetomir Tudur Tui Tumaini Tumelo
        Turid Turki Tushar Tuti Tuula Tuva Tuyết Twm Tymofiy Tyreek Tyrell Tzipora Tânia Tómas Tõnu Tünde Udari Ueli
        Ugochi Ujang Uju Ulf Uliana Ulises Ulla Ultan Ulyana Umaru Umberto Umesh Unaisi Unathi Unni Unnikrishnan
        Unnur Upeksha Upendo Upul Urai Uri Urmas Urmi Urmila Urooj Uroš Urszula Urtė Urška Utami Uxía Uyên Uzma Uzoma
        Vadim Vadym Vahid Vaiana Vaida Valdemar Valdis Valentin Valentyna Valery Valgerður Valéria Vamsi Vandana
        Vangelis Vanya Varvara Vasanthi Vasco Vasil Vasileios Vasilisa Vasylko Veerle Veeti Veikko Venkata Venla
        Ventsislav Verónica Vesa Vesela Veselin Vesna Vidar Viera Vignesh Vika Vikas Viktoria Viktoriya Viktória
        Vilde Viliami Vilikesa Vilimaina Villads Villő Vilma Vilmos Vincenzo Vinh Vinícius Viorel Viorica Vira
        Vitaliy Vitaly Vitor Vittorio Vitória Vivien Višnja Việt Vladimír Vladyslav Vladyslava Vlasta Voula Vova
        Vreni Vsevolod Vyacheslav Vytautas Václav Vânia Väinö Védís Véronique Víctor Vítor Věra Wachira Wadha Wael
        Wafa Wafula Wahyuni Waiata Wairimu Waisale Waisea Walaa Waldemar Waleed Waltraud Wangari Wangui Wanida Wanpen
        Wanyama Waqas Warsame Wasana Wasantha Waseem Wati Wawan Waweru Weerachai Weiwei Wekesa Wellington Wenche Weng
        Weronika Whetu Wiam Wian Wichai Wiktor Wiktoria Wikus Wilai Wilhelmina Willem Wim Winnie Wirat Wissam Witold
        Wojtek Wondwossen Woojin Worlali Wout Wullie Xaawo Xaliimo Xanthi Xasan Xiaofeng Xiaohong Xiaojun Xiaowei
        Xiaoyan Xico Xinyi Xiu Xiulan Xiuying Xolani Xosé Xue Xuseen Xuân Xóchitl Yaakov Yadira Yahir Yair Yamato
        Yamileth Yamina Yana Yangchen Yanti Yaowalak Yara Yarden Yared Yareli Yaroslav Yaryna Yasaman Yasemin Yasin
        Yasir Yasmina Yasodha Yasser Yassine Yayra Yazhini Yegor Yehuda Yehudit Yeison Yeji Yejun Yekaterina Yelena
        Yemane Yerin Yeshi Yevgenia Yevgeny Yevhen Yevheniya Ygor Yichen Yingying Yitzhak Ylva Yocheved Yogesh
        Yohannes Yoko Yolande Yonas Yonatan Yoongi Yordan Yordanka Yordanos Yosef Yoshio Yosyp Younghee Youngho
        Youngsoo Yousef Yuba Yubaraj Yuchen Yudi Yujin Yuka Yuli Yuliana Yuma Yumiko Yunus Yupin Yuriy Yury Yusuke
        Yuthana Yutong Yuval Yuxin Yuxuan Yuying Yvon Zac Zahra Zakaria Zala Zalán Zamzam Zane Zarina Zayed Zbyněk
        Zdeňka Zdravko Zdzisław Zeeshan Zehra Zeina Zeinab Zelda Zenon Zerihun Zewditu Zhengyang Zhenya Zhihao
        Zhiyuan Ziba Zinaida Zineb Zinhle Zixuan Ziyad Zlata Zlatko Zodwa Zohra Zoi Zola Zoran Zoriana Zorica
        Zornitsa Zosia Zoya Zoé Zsigmond Zsolt Zsuzsa Zubair Zuberi Zuhura Zulkifli Zuzanna Zuzka Zvonimir Áine Ákos
        Ángel Ángela Árni Áron Ásta Åsa Åsmund Çağlar Éabha Éadaoin Éamon Édouard Éloïse Émile Éric Évelyne Íris Ívar
        Ólafur Ólöf Óskar Ödön Ömer Ülo Þorsteinn Þór Þóra Þórunn Þórður Đức İrem İsmail Şerife Şule Šimon Štefan
        Šárka Žiga Žofia
        """
    )
)


#: Given names that are also common words, places or brands ("Will", "May", "Chase", "Alexa"): taken as a
#: person only after a cue ("this is Will") or with a surname ("Will Turner").
AMBIGUOUS_FIRST_NAMES: frozenset[str] = _words(
    """
    Will May Mark Bill Grace Hope Faith Joy June April August Rose Iris Ruby Amber Jade Crystal Dawn Eve Art Thu Jun Mai Matt
    Lance Chad Troy Jasper Levi Shannon Graham Grant Misty Ebony Brandy Harper Quinn Finn Axel Blake Carson
    Chase Chance Frank Guy Jack Pat Rich Sandy Sunny Summer Autumn Winter Daisy Ginger Holly Ivy Lily Violet
    Penny Robin Sky Storm Angel Honey Precious Price Miles Dean Dale Glen Lane Wade Cliff Drew Gene Ray Max Don
    Sue Jordan Austin Dallas Houston Phoenix Savannah Charlotte Madison Sydney Paris Victoria Georgia Virginia
    Carolina Florence Brooklyn Aurora Orlando Denver Cleveland Chelsea Kerry Alexa Siri Cortana Tesla Mercedes
    Harley Lincoln Ford Dell Wells Jackson Israel India Norman Roman Gray Grey Hunter Taylor Parker Carter
    Mason Cooper Tucker Spencer Fisher Reed Rob Nick Norm Cherry Rocky Rusty Luna Nova Stella
    Jan Jesus Christian Regina Sofia Santiago Leo Hugo Kelly Karen Julian Xavier Camila
    Lei Xin Hao Yu Fang Tao Ren Lan Hoa Duc Anh Hung Nam Alba Morgan Cem Ama Yaw Hui
    Lee Jay Earl Sally Pascal Warren Hazel Stanley Ruth Terry Lynn Gail Clyde Vernon Lloyd Frances Jules
    Collins Mercy Jericho Rommel Chebet
    Devon Blessing Praise Destiny Montserrat Angus Iona Trent Beat Ole Ola Mere Ute Mio Bo Yi Chanel
    Ville Gül Derya Sevgi Bence Sander Horst Dirk
    Neema Baraka Amani Zawadi Fajar Putri Budi Joko Avi
    """
) | _words(
    # given names of the same list (see FIRST_NAMES) that are English dictionary words or common words ("Mel", "Toby",
    # "Marc", "Claude", "Freya"); not those that are words more often than names ("Prince", "Olive", "Milan")
    """
    Abi Adnan Alain Alfonso Aline Ally Alonso Althea Amine Andi Angelo Ariel Babu Bart Bella Benny Britt
    Cameron Carlo Claude Claudio Delphine Denis Dolma Dominique Durga Edda Elke Emir Emmanuel Ernst Franco Freya
    Friedrich Fritz Georg Gill Gilles Grete Hakim Hanna Hari Henri Ido Ira Jacky Kamala Keir Krishna Kurt Leonid
    Luc Luigi Luka Lyn Maha Marc Marian Maxim Mel Mika Mina Mira Musa Noel Omer Otto Paddy Pam Paulo Pavan Petar
    Phoebe Piet Ploy Rakel Rana Rani Renate Rhea Rie Rory Rosario Rudolf Rune Saki Salvador Salvatore Serge Sherif
    Sivan Sora Stan Tamer Taro Thea Timur Toby Toni Tudor Vicente Vishnu Werner Yves
    """
)

#: Ambiguous given names that are mostly brands in support text ("my Dell Latitude", "Tesla Model 3", "Ford
#: Focus", "Chase Sapphire", "Mercedes Benz", "Alexa Routines"): a name only after a cue said to or of a person
#: ("Hi Chase,", "this is Alexa Chung", "Regards,\nLincoln"), never from a capitalised word after them alone,
#: whose product line no list keeps up with, nor after a cue said of a company too ("an email from Chase",
#: "call Dell", "contact Tesla"). The price: "Chase Miller called", with no cue, is not found.
BRAND_FIRST_NAMES: frozenset[str] = _words(
    """
    Tesla Dell Ford Chase Mercedes Harley Lincoln Alexa Siri Cortana
    """
)

#: Companies and brands named after a person, written as a person's name is ("I bank with Wells Fargo", "a Ralph
#: Lauren shirt"): not a person unless a strong cue says so ("Dear Calvin Klein", "Regards,\nCalvin Klein").
EPONYM_BRANDS: frozenset[str] = frozenset(
    brand.strip()
    for brand in """
    Wells Fargo|Ralph Lauren|Tim Hortons|Calvin Klein|Tommy Hilfiger|Hugo Boss|Louis Vuitton|Christian Dior|
    Giorgio Armani|Estee Lauder|Estée Lauder|Marc Jacobs|Michael Kors|Vera Wang|Tory Burch|Charles Schwab|
    Morgan Stanley|Goldman Sachs|Charles Tyrwhitt|Marks Spencer|Harley Davidson|Aston Martin|Rolls Royce|
    Enzo Ferrari|Johnson Controls|Johnnie Walker|Sherwin Williams|Marie Claire|Jack Daniel|Billie Jean|Lazy Susan|
    Harry Potter|Marco Polo|Victoria Secret|Ray-Ban Meta|Ray-Ban|Levi Strauss|Earl Grey|Ben Sherman|Fred Perry|Tommy Bahama|Kenneth Cole|
    Steve Madden|Jimmy Choo|Anne Klein|Betty Crocker|Sara Lee|Ann Taylor|Jack Wolfskin|Helly Hansen|Carl Zeiss|Emma Bridgewater|
    Papa John|Jim Beam|Chris Steak|Jose Cuervo|Johnnie Walker Black|Martin Luther King|Uncle Ben
    """.split("|")
)
# Not "Paul Smith", "John Lewis", "Edward Jones", "Ted Baker", "Tom Ford", "Kate Spade": as many customers are
# called that as the brand is mentioned, and a name left in costs more than a brand taken out.

#: Capitalised words before a street suffix that make it a product, not a street ("2 Google Drive folders").
NOT_STREET_NAMES: frozenset[str] = _words(
    """
    Google One Hard Flash Disk Solid State Shared Network External Internal Cloud Test Team Drop Microsoft
    Apple Amazon Dropbox Sky Ice Time Tech Data Backup Storage Memory Cache Thumb Pen Game Home
    """
)

#: Capitalised words that never open a street's name right after its number: interface verbs and units of
#: a step or a count ("Step 2 Select Drive", "2 Hours Drive", "5 Star Plaza", "10 Minutes Walk"). Only as the
#: first word: later in a name they are a street's own ("12 Lone Star Drive", "8 North Star Road"). Not
#: "Mile" ("12 Mile End Road", Michigan's "8 Mile Rd"), "Second" ("12 Second Avenue"), "Times" ("1 Times
#: Square") or "Days" ("14 Days Lane").
NOT_STREET_FIRST_WORDS: frozenset[str] = _words(
    """
    Select Open Tap Click Choose Press Hit Enter Type Step Steps Hour Hours Hrs Minute Minutes Min Mins
    Week Weeks Month Months Year Years Miles Km Star Stars
    """
)

#: Capitalised words that follow name cues but are not names ("Dear Customer", "Regards, The Team"), among
#: them the departments and footers that sign a mail ("Thanks,\nProcurement", "Best,\nLumen Crew", "Thanks,
#: \nSent from my iPhone", "Get Outlook for iOS"), nor a surname after a given name ("Rose Cottage" is a
#: house). None of them a common surname.
NOT_NAMES: frozenset[str] = _words(
    """
    Customer Customers Sir Sirs Madam Madame Team Teams Support Service Services Manager Agent Agents Admin
    Administrator Valued Member Members Colleague Colleagues User Users Client Clients Friend Friends All
    Everyone Everybody Guys Folks Billing Sales Help Helpdesk Desk Care Department Office Staff Account
    Accounts Hiring Recruiter Owner Owners Partner Partners Vendor Sender Recipient Whom Concern Mister
    Product Products Order Orders Ticket Tickets Team's Bank Inc Ltd Llc Corp Corporation Company Co Group
    Street St Avenue Ave Road Rd Boulevard Blvd Lane Ln Drive Dr Court Ct Place Pl Way Apt Suite Unit Floor
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July
    August September October November December Mon Tue Wed Thu Fri Sat Sun Jan Feb Mar Apr Jun Jul Aug Sep
    Sept Oct Nov Dec Today Tomorrow Yesterday Morning Afternoon Evening Night Hi Hello Hey Dear Thanks Thank
    Regards Best Kind Warm Cheers Sincerely Yours Greetings Good Great Please Sorry Yes No Ok Okay Hope
    I The A An And Or But If Of To In On At For With From By About As Is Are Was Were Be Been Am Have Has Had
    Do Does Did Not Can Could Will Would Should May Might Must My Me Mine You Your We Our Us He She Him Her His
    It Its They Them Their This That These Those There Here What Which Who When Where Why How Just So Then
    Also Still Again Now Only Any Some Every Each Another Other New Old First Last Next Very Really Sure
    English French German Spanish Italian American British European International Global National Online
    Internet Email Phone Mobile App Web Website Password Login Account Card Credit Debit Refund Payment
    Invoice Shipping Delivery Package Premium Pro Plus Basic Free Trial Subscription Plan Update Version
    Error Issue Problem Question Request Urgent Important Note Attention Re Fwd Subject Mr Mrs Ms Dr Prof
    Miss Mx Jr Sr II III IV PhD MD
    Pay Prime Store Music Wallet Cloud Mail Maps Watch Books Photos Games Video Studio Office Teams Chrome
    Edge Cash Money Wire Transfer Express Max Mini Air Home Kids Business Enterprise Premier Gold Silver
    Platinum Black Blue Red Green White Beta Alpha Edition Series Sale Period Day Week Month Year Hour
    Cuisine Doktor Professor
    Cottage Cottages Farm Farmhouse Manor Barn Bungalow
    Procurement Finance Accounting Marketing Operations Logistics Legal Compliance Security Purchasing
    Facilities Payroll Engineering Management Administration Reception Dispatch Warehouse Human Resources Dept
    Crew Squad Sent Get Let Lets
    Consultant Consultants Agente Cliente Atendente Medewerker Klant Temsilci Operatore Operatrice Operador
    Operadora Konsultant Konsultantka Ejecutivo Ejecutiva Conseiller Conseillère Asesor Asesora Berater
    Beraterin Mitarbeiter Mitarbeiterin Consulente Especialista Opérateur Opératrice Consultor Consultora
    Kunde Kundin Klient Klientka Müşteri Usuario Usuário Utilisateur Utente Pelanggan Pembeli Penjual
    Network Wifi WiFi Portal Lounge Parking Checkout Room Rooms Hub Centre Center Experience Relations Access
    Portal Dashboard Settings Profile Registration Onboarding
    Tochter Sohn Mutter Vater Bruder Schwester Oma Opa Nachbarin Nachbar Kollegin Kollege Chef Chefin Ehemann Ehefrau
    Hotline Hausverwaltung Verwaltung Kundenservice Kundendienst Firma Abteilung Buchhaltung Ihrer Ihrem Ihren Ihres
    Ügyfélszolgálat Soporte Apoio Kundtjänst Kundeservice Kundenbetreuung Asiakaspalvelu Obsługa Assistenza Supporto
    Atendimento Atención Assistance Tecnico Técnico Technicien Monteur Indirizzo Endereço Direccion Dirección Celular
    Telefone Teléfono Objekt Steuerklasse Workstation Site Intake Authorization Survey Podpora Servicedesk Servicio
    Serviço Klantenservice Destek Ügyfél Asiakas Kund Kunder Zákazník Zákaznice
    Applicant Applicants Patient Patients Nurse Student Students Tenant Tenants Resident Residents Passenger
    Passengers Candidate Candidates Donor Donors Subscriber Subscribers Homeowner Policyholder Learner Learners
    Rentals Rental Traders Trading Motors Realty Properties Lettings Estates Pharmacy Clinic Dental Airways Airlines
    Hotel Hotels Hostel Ops Restaurant Bakery Salon Enterprises Solutions Consulting Insurance Agency Tours Academy
    Institute Foundation Charity Ministry Council Bereich People Mag Dipl Unknown Anonymous Redacted Withheld Pending
    Various Tbd
    """
)


#: Common lower-case English words: after "my name is <given name>" such a word is not a surname
#: ("my name is jane and ...", "... jane here", "... jane from acme").
COMMON_LOWER_WORDS: frozenset[str] = _words(
    """
    the a an and or but if of to in on at for with from by about as into is are was were be been being am
    have has had do does did not no can could will would should may might must i me my mine you your we our
    us he she him her his it its they them their this that these those there here what which who when where
    why how all any some just so than then too very please thanks thank hi hello hey yet still again also
    get got im i'm it's don't can't need want like help calling writing speaking reaching contacting again
    today now tomorrow yesterday sir madam maam team support customer account order ticket number phone email
    nice glad pleased good great ok okay thanks refund login password problem issue question regarding re
    wanted trying looking hoping new old my your our here there too as well again who what
    that's thats that’s what's whats who's whos there's theres here's heres it’s
    """
)


#: Lower-case words that follow a given name in chat and are no surname: verbs in the third person and past,
#: adverbs and the things tickets are about ("sarah wants a refund", "mike router keeps dropping", "ana never
#: called"); a name in lower case takes a surname only if it is none of these nor of COMMON_LOWER_WORDS.
NOT_LOWER_SURNAMES: frozenset[str] = COMMON_LOWER_WORDS | _words(
    """
    wants needs says said keeps kept has had gets got makes made takes took leaves left comes came goes went sends
    sent pays paid buys bought tries tried calls asks told tells thinks knows knew sees saw says set put uses
    never always already often usually again still also just only even really actually maybe probably
    router modem app phone laptop tablet device screen printer camera cam hub plug lock doorbell sensor speaker
    package parcel delivery shipment order account card payment refund invoice bill charge subscription plan
    internet wifi connection update firmware error code login password email address name number issue problem
    thing stuff one here there back down up out over off away home work too
    og och mit min mitt mina mine jeg det er är har ikke inte ve bir bu și nu am au je jsem meu minha não nao já eu
    ele ela com quem que und ich mein meine mon ma mes mio mia
    come posso puedo como cómo comment puis kann wie hoe kan jak czym hur hvordan miten nasıl in con per che
    et y e o ou oder und för att och
    """
)


#: Acronyms common in support tickets: not shouting (quality's tone scorer) and not a surname in capitals
#: after a given name ("Thanks Sarah FYI").
ACRONYMS: frozenset[str] = frozenset(
    "API URL USB PDF CSV FAQ ID SSO VPN DNS SMS MFA OTP ETA UPS DHL USPS FEDEX EU US UK USA IBAN PIN CVV ATM IT "
    "HR CEO CTO VIP SKU RMA PO OK AM PM GMT UTC EST PST CET HTML HTTP HTTPS SSL TLS IP IOS PC TV GPS ASAP FYI "
    "CPU GPU SSD HDD RAM HDMI AWS ISP SLA QR NFC LTE WIFI BTW PLS THX TBD EOD OOO WFH NDA LOL".split()
)


#: Words in capitals that follow a name in a shouted sentence and are not surnames: verb forms and adverbs
#: ("MR. O'BRIEN CALLED", "MS. GARCIA TOLD", "Jean NEVER replied"). Chosen by hand so that none is a
#: common surname ("SAID", "STILL", "HUNG", "LOVE" and "KING" are, so they are not here: a word too many is
#: redacted rather than a surname kept).
NOT_CAPS_SURNAMES: frozenset[str] = frozenset(
    """
    CALLED CALLS ASKED ASKS SAYS TOLD EMAILED EMAILS PHONED TEXTED MESSAGED WROTE WRITES SENT SENDS REPLIED
    REPLIES RESPONDED ANSWERED CONFIRMED CONFIRMS PROMISED CANCELLED CANCELED CANCELS ORDERED ORDERS PAID PAYS
    RECEIVED RETURNED REQUESTED REPORTED MENTIONED EXPLAINED AGREED REFUSED TRIED TRIES LEFT CAME WENT VISITED
    SIGNED APPROVED DENIED REJECTED ACCEPTED COMPLAINED CHECKED FIXED SOLVED RESOLVED UPDATED CHANGED CLOSED
    OPENED BOUGHT PURCHASED SHIPPED DELIVERED MISSED FORGOT NEEDS WANTS NEEDED WANTED STATED NOTED ADDED HELPED
    HELPS ARRIVED CONTACTED INFORMED ADVISED SUGGESTED RECOMMENDED INSISTED CLAIMS CLAIMED DISPUTED FILED
    SUBMITTED UPLOADED LOGGED TRANSFERRED ESCALATED APOLOGIZED APOLOGISED THANKED DROPPED PICKED BROKE LOST
    FOUND GAVE GIVES TOOK TAKES MADE MAKES KNOWS KNEW THINKS THOUGHT HATES LOVES LIKES LIKED HATED SHOUTED
    YELLED GETS GOES DOES HAS HAD IS WAS WILL WONT CANT DIDNT DOESNT ISNT WASNT HASNT
    NEVER ALWAYS REALLY ONLY EVEN EVER ALREADY DEFINITELY ABSOLUTELY TOTALLY COMPLETELY ACTUALLY
    LITERALLY SERIOUSLY HONESTLY PERSONALLY IMMEDIATELY URGENTLY AGAIN TWICE ONCE BOTH ALONE ALSO HERE THERE
    NOW TODAY YESTERDAY TOMORROW PLEASE THANKS ASAP
    """.split()
)
